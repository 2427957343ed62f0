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
            Console.Error.WriteLine($"error: {e.Message}");
            return Failure;
        }
    }
}
