namespace DiffPrune.Eval.Demo;

/// <summary>One stretch of the demo, taken a step at a time so that a progress display can follow it.</summary>
/// <param name="Name">What it does ("train DiffPrune, K = 16").</param>
/// <param name="Total">Steps it takes.</param>
/// <param name="Position">Steps taken.</param>
/// <param name="Step">Takes the next step and describes it in one line.</param>
public sealed record DemoPhase(string Name, int Total, Func<int> Position, Func<string> Step)
{
    /// <summary>True once every step is taken (or the phase stopped early, e.g. early stopping).</summary>
    public Func<bool> Done { get; init; } = () => false;

    /// <summary>A phase of <paramref name="items"/>, one step each.</summary>
    public static DemoPhase Over<T>(string name, IReadOnlyList<T> items, Func<T, string> step)
    {
        int next = 0;
        return new DemoPhase(name, items.Count, () => next, () => step(items[next++])) { Done = () => next >= items.Count };
    }
}
