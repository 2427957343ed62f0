using DiffPrune.Tensors.Distributed;
using Spectre.Console;

namespace DiffPrune.Cli;

/// <summary>
/// The progress display of every training command: a Spectre progress bar on a terminal, plain lines on stderr
/// when the output is redirected (logs, CI, nohup), so long runs can be followed either way; nothing on ranks other than 0.
/// </summary>
internal static class TrainingProgress
{
    /// <summary>A step's outcome: where the run now stands, its one-line summary, and whether a plain log should print it.</summary>
    public readonly record struct Update(int Position, string Line, bool Print);

    /// <summary>Calls <paramref name="step"/> until <paramref name="done"/>, showing progress towards <paramref name="total"/>.</summary>
    public static void Run(string name, int total, int start, Func<bool> done, Func<Update> step)
    {
        if (!Communicator.World.IsRoot)
        {
            // under mpiexec rank 0 alone reports
            while (!done()) step();
            return;
        }
        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            while (!done())
            {
                var u = step();
                if (u.Print) Console.Error.WriteLine(u.Line);
            }
            return;
        }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(name, maxValue: total);
                task.Value = start;
                while (!done())
                {
                    var u = step();
                    task.Description = Markup.Escape(u.Line);
                    task.Value = u.Position;
                }
            });
    }
}
