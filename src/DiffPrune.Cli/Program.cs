using System.CommandLine;
using DiffPrune.Cli;
using DiffPrune.Cli.Commands;

var root = new RootCommand("diffprune: learn which visual tokens a vision-language model can drop (DiffPrune), train and deploy the pruner.");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ScenesCommand.Create());
root.Subcommands.Add(PretrainCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ProbeCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(ProfileCommand.Create());
root.Subcommands.Add(PruneCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
return CliErrors.Run(() =>
{
    var parsed = root.Parse(args);
    ParallelCommands.Check(parsed.CommandResult.Command.Name);
    int exit = parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    // System.CommandLine prints parse errors and returns 1; the documented code for a bad command line is Usage
    return parsed.Errors.Count > 0 && exit != 0 ? CliErrors.Usage : exit;
});
