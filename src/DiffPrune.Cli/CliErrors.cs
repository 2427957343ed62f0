namespace DiffPrune.Cli;

/// <summary>Turns expected failures (bad input, missing files) into a one-line message and a non-zero exit code.</summary>
internal static class CliErrors
{
    /// <summary>Exit code for bad input or a failed command.</summary>
    public const int Failure = 1;

    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or IOException or NotSupportedException)
        {
            // DIFFPRUNE_TRACE=1 shows where an error came from (for bug reports)
            Console.Error.WriteLine(Environment.GetEnvironmentVariable("DIFFPRUNE_TRACE") == "1" ? $"error: {e}" : $"error: {e.Message}");
            return Failure;
        }
    }
}
