using System.Diagnostics;
using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Eval.Statistics;
using DiffPrune.Tensors;

namespace DiffPrune.Bench;

/// <summary>
/// What the bootstrap of a full <c>diffprune eval</c> table costs: 100 SceneBench test scenes, Vanilla and 20 rows
/// (methods × budgets) answered at random, 2,000 resamples, every interval and paired difference.
/// </summary>
internal static class StatisticsBench
{
    public static void Run()
    {
        const int scenes = 100, rows = 20;
        Console.WriteLine($"\n## Bootstrap of an eval table ({scenes} test scenes, Vanilla + {rows} rows, {SceneBootstrap.DefaultResamples:N0} resamples)");
        var examples = new SceneBench().Split(SceneSplit.Test, scenes).ToArray();
        var gen = new Generator(0);
        EvaluationRow Row(string name, int keep, double skill)
        {
            var outcomes = examples.Select(e => new SceneOutcome(e.Scene.Seed, e.Items, e.Items.Select(q => gen.NextDouble() < skill ? q.Answer : "zzz").ToArray())).ToArray();
            return new EvaluationRow(name, "Pre", keep, [], 1, 0) { Outcomes = outcomes };
        }
        var vanilla = Row("Vanilla", 144, 0.9);
        var blocks = new[] { 48, 32, 16, 8 }.Select(k => new EvaluationBlock(k / 144.0, k,
            Enumerable.Range(0, rows / 4).Select(i => Row(i == 0 ? "DiffPrune" : $"method {i}", k, 0.5 + 0.08 * i)).ToArray())).ToArray();
        var table = new EvaluationTable("bench", 144, scenes, examples.Sum(e => e.Items.Count), vanilla, blocks);
        // CPU time next to wall time: on a shared machine the wall clock also counts other people's work
        var times = Enumerable.Range(0, 3).Select(_ =>
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            TableStatistics.Apply(table);
            return (Wall: clock.Elapsed.TotalSeconds, Cpu: (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
        }).OrderBy(t => t.Wall).ToArray();
        Console.WriteLine($"TableStatistics.Apply: {times[1].Wall:F2} s wall, {times[1].Cpu:F2} s CPU (median of 3 by wall time; tallies from the answers, resamples, intervals)");
    }
}
