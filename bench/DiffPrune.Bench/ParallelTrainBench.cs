using System.Diagnostics;
using System.Globalization;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Loaders;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Training.Pretraining;
using DiffPrune.Training.Pruner;

namespace DiffPrune.Bench;

/// <summary>
/// Data-parallel training speed: pruner training steps/s (batch 32 captions from a feature pool, the shipped VLM) and
/// pretraining steps/s (stage 2: 16 scenes of questions per step) as one process on 2 threads, one process on 1 thread, and
/// <c>mpiexec -n 2</c> with 1 thread per rank, the same global batch each time; for the two ranks also the share of a step
/// spent in the allreduce of loss and gradients (waiting for the slower rank included) and the bytes it sums. Each
/// configuration runs in its own processes (this program started again as <c>parallel-worker</c>).
/// </summary>
internal static class ParallelTrainBench
{
    const int Warmup = 1, PrunerBatch = 32;

    /// <summary>Timed steps per configuration (after one warm-up step).</summary>
    public static void Run(int steps = 3)
    {
        Console.WriteLine("== data-parallel training: steps/s, same global batch (mpiexec -n 2 at 1 thread per rank vs one process) ==");
        var launcher = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "mpiexec")).FirstOrDefault(File.Exists);
        if (launcher == null)
        {
            Console.WriteLine("  skipped: mpiexec not found (apt-get install mpich libmpich-dev)");
            return;
        }
        string self = typeof(ParallelTrainBench).Assembly.Location;
        foreach (var kind in new[] { "pruner", "pretrain" })
        {
            Console.WriteLine($"  {kind}:");
            foreach (var (label, ranks, threads) in new[] { ("1 process, 2 threads", 1, 2), ("1 process, 1 thread", 1, 1), ("mpiexec -n 2, 1 thread each", 2, 1) })
            {
                var (file, args) = ranks == 1 ? ("dotnet", new[] { self }) : (launcher, new[] { "-n", ranks.ToString(CultureInfo.InvariantCulture), "dotnet", self });
                var result = Start(file, [.. args, "parallel-worker", kind, steps.ToString(CultureInfo.InvariantCulture)], threads);
                Console.WriteLine($"    {label,-28} {result}");
            }
        }
        Console.WriteLine("  (allreduce: seconds of each step in MPI_Allreduce of the loss, flags and gradients, waiting for the slower rank included)");
    }

    static string Start(string file, string[] args, int threads)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DIFFPRUNE_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        info.Environment["OPENBLAS_NUM_THREADS"] = "1";
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("result ", StringComparison.Ordinal));
        return line != null ? line["result ".Length..] : $"failed (exit {process.ExitCode}): {error.Result.Trim().Split('\n').LastOrDefault()}";
    }

    /// <summary>One configuration's processes: <c>parallel-worker pruner|pretrain STEPS</c>; rank 0 prints one <c>result</c> line.</summary>
    public static int Worker(string[] args)
    {
        var world = Communicator.World;
        string kind = args[0];
        int steps = int.Parse(args[1], CultureInfo.InvariantCulture);
        var (step, gradientBytes) = kind == "pruner" ? PrunerSteps(world) : PretrainSteps(world);
        for (int i = 0; i < Warmup; i++) step();
        double total = 0, allreduce = 0;
        for (int i = 0; i < steps; i++)
        {
            var (seconds, reduce) = step();
            total += seconds;
            allreduce += reduce ?? 0;
        }
        if (world.IsRoot)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"result {steps / total,7:F3} steps/s ({total / steps:F2} s/step){(world.Size > 1 ? $", allreduce {allreduce / steps * 1000:F1} ms/step = {allreduce / total * 100:F1} % of a step, {gradientBytes / 1e6:F2} MB of gradients per step" : "")}"));
        world.Shutdown();
        return 0;
    }

    /// <summary>A step of the configuration (its seconds and allreduce seconds) and the bytes of gradient it sums.</summary>
    static (Func<(double Seconds, double? Allreduce)> Step, long GradientBytes) PrunerSteps(Communicator world)
    {
        var modelDir = TrainStepSetup.FindModel() ?? throw new DirectoryNotFoundException("models/scenebench-vlm not found above the working directory: run from the checkout");
        var (vlm, tokenizer) = ModelFolder.Load(modelDir);
        var options = new PrunerTrainingOptions { BatchSize = PrunerBatch, FeaturePool = 64, StandardizerScenes = 16, ValidationScenes = 2, Steps = 1000 };
        var trainer = PrunerTrainer.Create(vlm, tokenizer, SceneOptions.For(SceneBenchConfiguration.Classic, vlm.Config.Vision.NumPatches), options, world: world);
        long parameters = trainer.Scorer.Parameters().Concat(trainer.Denoiser.Parameters()).Sum(p => (long)p.Numel);
        return (() =>
        {
            var r = trainer.TrainStep();
            return (r.Seconds, r.AllreduceSeconds);
        }, parameters * sizeof(float));
    }

    static (Func<(double Seconds, double? Allreduce)> Step, long GradientBytes) PretrainSteps(Communicator world)
    {
        var options = new PretrainOptions { VisionSteps = 0, AlignmentSteps = 0, InstructionSteps = 1000 };
        var trainer = Pretrainer.Create(options, WordTokenizer.ForSceneBench(), world: world);
        long parameters = trainer.Model.Projector.Parameters().Concat(trainer.Model.LanguageModel.Parameters()).Sum(p => (long)p.Numel);
        return (() =>
        {
            var r = trainer.TrainStep();
            return (r.Seconds, r.AllreduceSeconds);
        }, parameters * sizeof(float));
    }
}
