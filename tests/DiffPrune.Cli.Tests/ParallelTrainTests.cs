using System.Text.Json.Nodes;
using DiffPrune.Tensors.IO;
using DiffPrune.Testing;

namespace DiffPrune.Cli.Tests;

/// <summary>
/// Data-parallel training under <c>mpiexec -n 2</c> (skipped where mpiexec is missing): two ranks that share every batch
/// end where one process ends with the same global batch and seed, to float rounding (the ranks' sums run in another
/// order), rank 0 alone writes the run folder, and a run resumes on another number of ranks.
/// </summary>
/// <remarks>
/// The stated tolerance: losses within a relative 1e-5 of one process's; after a few AdamW steps every weight within
/// 1e-5 + 1e-4·|w| (train, lr 2e-4) or within a tenth of the learning rate, 2e-4 + 1e-3·|w| (pretrain, lr 2e-3; 9e-5 seen).
/// AdamW divides each gradient by its running RMS, so a float-rounding change of a gradient element near zero moves its
/// weight by up to a fraction of the learning rate: the bounds sit below one step's update, far above float rounding.
/// </remarks>
public class ParallelTrainTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    static readonly string Tool = Path.Combine(AppContext.BaseDirectory, "diffprune.dll");
    // limits against a hang, far above the runs' durations on an idle machine (pretrain runs the default-size VLM)
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(3), PretrainLimit = TimeSpan.FromMinutes(8);
    const double WeightAtol = 1e-5, WeightRtol = 1e-4, LossRtol = 1e-5;

    string[] Train(string throttler, int pool) =>
    [
        "train", "--model", folder.Model, "--steps", "3", "--batch-size", "5", "--feature-pool", pool.ToString(), "--throttler", throttler,
        "--standardizer-scenes", "8", "--validation-scenes", "3", "--eval-every", "2", "--test-scenes", "2",
    ];

    [MpiFact]
    public void TrainOnTwoRanksEndsWhereOneProcessEnds() => CompareTrain("VpNoise", pool: 16, "train-pool");

    [MpiFact]
    public void TrainOnFreshScenesWithGumbelNoiseOnTwoRanksEndsWhereOneProcessEnds() => CompareTrain("GumbelSte", pool: 0, "train-fresh");

    void CompareTrain(string throttler, int pool, string name)
    {
        // a batch of 5 splits 3 + 2: unequal shares, whose losses weigh by their answer tokens
        string alone = folder.Out(name + "-alone"), shared = folder.Out(name + "-two-ranks");
        var one = MpiExec.RunAlone(Tool, [.. Train(throttler, pool), "--out", alone], Limit);
        var two = MpiExec.Run(2, Tool, [.. Train(throttler, pool), "--out", shared], Limit);
        Assert.True(one.Exit == 0, one.Error);
        Assert.True(two.Exit == 0, two.Error);

        AssertSameWeights(Path.Combine(alone, "checkpoint.safetensors"), Path.Combine(shared, "checkpoint.safetensors"));
        AssertSameWeights(Path.Combine(alone, "pruner", "pruner.safetensors"), Path.Combine(shared, "pruner", "pruner.safetensors"));
        AssertSameNumbers(alone, shared, "log.jsonl", "Loss");
        AssertSameNumbers(alone, shared, "validation.jsonl", "SoftLoss", "HardLoss");
        var steps = File.ReadAllLines(Path.Combine(shared, "log.jsonl")).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Equal(3, steps.Length);
        Assert.All(steps, s => Assert.Equal(5, s["Examples"]!.GetValue<int>()));
        Assert.All(steps, s => Assert.True(s["AllreduceSeconds"]!.GetValue<double>() >= 0));
        Assert.DoesNotContain("AllreduceSeconds", File.ReadAllText(Path.Combine(alone, "log.jsonl")));
        // rank 0 alone printed: one plan line, one score table
        Assert.Single(two.Error.Split('\n'), l => l.StartsWith("train: "));
        Assert.Contains("each batch shared by 2 processes", two.Error);
        Assert.Equal(one.Out.Split('\n').Length, two.Out.Split('\n').Length);
        Assert.Equal(Directory.GetFiles(alone).Select(Path.GetFileName).Order(), Directory.GetFiles(shared).Select(Path.GetFileName).Order());
    }

    [MpiFact]
    public void PretrainOnTwoRanksResumesAsOneProcessWhereOneProcessEnds()
    {
        // stage 0 (vision) and stage 1 (captions) data-parallel on two ranks, stopped at step 3; one process resumes into stage 2 and
        // stops at step 4 of 5 (so that no run spends its time on the final test scoring)
        string[] pretrain = ["pretrain", "--vision-steps", "2", "--alignment-steps", "1", "--instruction-steps", "2", "--vision-batch", "5",
            "--captions-per-step", "5", "--scenes-per-step", "2", "--items-per-scene", "3", "--eval-every", "0", "--lm-layers", "2"];
        string alone = folder.Out("pretrain-alone"), shared = folder.Out("pretrain-two-ranks");
        var one = MpiExec.RunAlone(Tool, [.. pretrain, "--stop-after", "4", "--out", alone], PretrainLimit);
        var two = MpiExec.Run(2, Tool, [.. pretrain, "--stop-after", "3", "--out", shared], PretrainLimit);
        Assert.True(one.Exit == 0, one.Error);
        Assert.True(two.Exit == 0, two.Error);
        Assert.Contains("each batch shared by 2 processes", two.Error);
        var resumed = MpiExec.RunAlone(Tool, [.. pretrain, "--stop-after", "4", "--resume", "--out", shared], PretrainLimit);
        Assert.True(resumed.Exit == 0, resumed.Error);
        Assert.Contains("resuming at step 3", resumed.Error);

        AssertSameWeights(Path.Combine(alone, "checkpoint.safetensors"), Path.Combine(shared, "checkpoint.safetensors"), atol: 2e-4, rtol: 1e-3);
        AssertSameNumbers(alone, shared, "log.jsonl", "Loss");
    }

    static void AssertSameWeights(string expectedFile, string actualFile, double atol = WeightAtol, double rtol = WeightRtol)
    {
        var expected = SafeTensors.Load(expectedFile);
        var actual = SafeTensors.Load(actualFile);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            Assert.Equal(tensor.Shape, actual[name].Shape);
            var (e, a) = (tensor.Data.ToArray(), actual[name].Data.ToArray());
            for (int i = 0; i < e.Length; i++)
                Assert.True(Math.Abs((double)e[i] - a[i]) <= atol + rtol * Math.Abs(e[i]),
                    $"{Path.GetFileName(actualFile)} {name}[{i}]: one process {e[i]:G9}, two ranks {a[i]:G9}");
        }
    }

    static void AssertSameNumbers(string alone, string shared, string file, params string[] fields)
    {
        var expected = File.ReadAllLines(Path.Combine(alone, file));
        var actual = File.ReadAllLines(Path.Combine(shared, file));
        Assert.Equal(expected.Length, actual.Length);
        foreach (var (e, a) in expected.Zip(actual))
            foreach (var field in fields)
            {
                double x = JsonNode.Parse(e)![field]!.GetValue<double>(), y = JsonNode.Parse(a)![field]!.GetValue<double>();
                Assert.True(Math.Abs(x - y) <= LossRtol * Math.Abs(x), $"{file} {field}: one process {x:R}, two ranks {y:R}");
            }
    }
}
