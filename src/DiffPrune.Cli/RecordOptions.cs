using System.CommandLine;
using DiffPrune.Training;
using static System.FormattableString;

namespace DiffPrune.Cli;

/// <summary>The command-line options of one options record <typeparamref name="T"/>, each declared once: its name, its help (which shows
/// the record's default, and where it differs the default of the <c>variant</c> a flag such as <c>--quick</c> selects) and the
/// <c>with</c> that sets it. An option changes the record only when given, so every default is stated once, in the record.</summary>
internal sealed class RecordOptions<T>(Command command, T defaults, (string Flag, T Options)? variant = null)
{
    readonly List<Func<ParseResult, T, T>> _setters = [];

    /// <summary>Adds option <paramref name="name"/>: <paramref name="get"/> reads a record's value, <paramref name="set"/> sets a given one.</summary>
    public RecordOptions<T> Add<TValue>(string name, string description, Func<T, TValue> get, Func<T, TValue, T> set)
    {
        string shown = typeof(TValue) == typeof(bool) ? "" : Invariant($" (default {get(defaults)}") +
            (variant is { } v && !Equals(get(v.Options), get(defaults)) ? Invariant($"; {v.Flag} {get(v.Options)})") : ")");
        var option = new Option<TValue>(name) { Description = description + shown };
        command.Options.Add(option);
        _setters.Add((r, o) => r.GetResult(option) is { Implicit: false } ? set(o, r.GetValue(option)!) : o);
        return this;
    }

    /// <summary>Adds the options of the <see cref="OptimizerSettings"/> that <paramref name="get"/> reads, named <c>--{prefix}lr</c> and so on.</summary>
    public RecordOptions<T> AddOptimizer(Func<T, OptimizerSettings> get, Func<T, OptimizerSettings, T> set, string prefix = "", string what = "") =>
        Add($"--{prefix}lr", $"Peak learning rate{what}", o => get(o).LearningRate, (o, v) => set(o, get(o) with { LearningRate = v }))
        .Add($"--{prefix}warmup", $"Linear warmup steps{what}", o => get(o).WarmupSteps, (o, v) => set(o, get(o) with { WarmupSteps = v }))
        .Add($"--{prefix}final-lr-fraction", $"Where the cosine ends, as a fraction of the peak{what} (1: constant)", o => get(o).FinalLearningRateFraction, (o, v) => set(o, get(o) with { FinalLearningRateFraction = v }))
        .Add($"--{prefix}weight-decay", $"AdamW weight decay{what}", o => get(o).WeightDecay, (o, v) => set(o, get(o) with { WeightDecay = v }))
        .Add($"--{prefix}max-grad-norm", $"Gradient clipping by global L2 norm{what}", o => get(o).MaxGradNorm, (o, v) => set(o, get(o) with { MaxGradNorm = v }))
        .Add($"--{prefix}max-bad-steps", $"Non-finite steps in a row (each skipped) that stop training{what}", o => get(o).MaxBadSteps, (o, v) => set(o, get(o) with { MaxBadSteps = v }));

    /// <summary><paramref name="basis"/> with every option given on the command line.</summary>
    public T Bind(ParseResult r, T basis) => _setters.Aggregate(basis, (o, set) => set(r, o));
}
