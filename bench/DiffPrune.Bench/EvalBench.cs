using DiffPrune.Data.Scenes;
using DiffPrune.Eval;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Bench;

/// <summary>
/// <c>diffprune eval --methods divprune --budgets 1/9 --scenes 100</c>'s DivPrune row on the shipped base VLM, as the CLI
/// runs it (<see cref="TableEvaluation"/>: every image encoded, every question answered greedily), on 1 and 2 threads in
/// interleaved rounds: wall time, and per question the managed memory allocated, with the gen-2 collections and the
/// kernel's share of the CPU time (what a per-op <c>float[]</c> or page faults would drive up).
/// </summary>
internal static class EvalBench
{
    public static void Run(int rounds = 2, int scenes = 100)
    {
        var modelDir = TrainStepSetup.FindModel();
        if (modelDir == null)
        {
            Console.WriteLine("== eval: skipped (models/scenebench-vlm not found above the working directory) ==");
            return;
        }
        var (vlm, tokenizer) = ModelFolder.Load(modelDir);
        var examples = new SceneBench(SceneOptions.Default).Split(SceneSplit.Test, scenes).ToList();
        int questions = examples.Sum(e => e.Items.Count);
        Console.WriteLine($"== eval: DivPrune at 1/9 on {scenes} test scenes ({questions} questions) of {modelDir}; 1 and 2 threads in {rounds} interleaved rounds, medians ==");
        int[] threads = [1, 2];
        var runs = threads.ToDictionary(t => t, _ => new List<ProcessUsage>());
        int budget = ThreadBudget.Threads;
        EvaluateOnce(vlm, tokenizer, examples.Take(4).ToArray()); // JIT, GEMM calibration and pools before the first timed run
        try
        {
            for (int r = 0; r < rounds; r++)
                foreach (int t in threads)
                {
                    ThreadBudget.Use(t);
                    runs[t].Add(ProcessUsage.Of(() => EvaluateOnce(vlm, tokenizer, examples)));
                }
        }
        finally { ThreadBudget.Use(budget); }
        Console.WriteLine($"  {"",-34} {"1 thread",9} {"2 threads",10}");
        Print("wall s", u => u.Seconds, "F1");
        Print("MB allocated per question", u => u.AllocatedMb / questions, "F2");
        Print("gen-2 GCs per 100 questions", u => 100.0 * u.Gen2 / questions, "F2");
        Print("kernel time, % of user time", u => 100 * u.KernelShare, "F1");
        double one = Timing.Median(runs[1].Select(u => u.Seconds)), two = Timing.Median(runs[2].Select(u => u.Seconds));
        Console.WriteLine($"  2 threads {one / two:F2}× faster than 1");
        Console.WriteLine();

        void Print(string label, Func<ProcessUsage, double> value, string format) =>
            Console.WriteLine($"  {label,-34} {Timing.Median(runs[1].Select(value)).ToString(format),9} {Timing.Median(runs[2].Select(value)).ToString(format),10}");
    }

    /// <summary>The DivPrune row, with a fresh <see cref="VlmInference"/> so that each run encodes its images again.</summary>
    static void EvaluateOnce(IVisionLanguageModel vlm, Data.Text.WordTokenizer tokenizer, IReadOnlyList<SceneExample> examples)
    {
        var evaluation = new TableEvaluation(new VlmInference(vlm), tokenizer, examples, MethodSelection.Parse("divprune", null), [1.0 / 9], "bench");
        evaluation.Evaluate(evaluation.Plan.Single(p => p.Fraction != null));
    }
}
