using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Eval;

public class CaptionLossTableTests
{
    static readonly WordTokenizer Tok = WordTokenizer.ForSceneBench();

    static Scene[] Scenes(int count) => new SceneBench().Split(SceneSplit.Test, count).Select(e => e.Scene).ToArray();

    [Fact]
    public void PerSceneLossesWeighedByTheirAnswerTokensGiveTheBatchLoss()
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        var inference = new VlmInference(vlm);
        var scenes = Scenes(5);
        var method = PruningMethods.Create("DivPrune", vlm, 16);
        var perScene = CaptionLossTable.PerScene(inference, Tok, scenes, method, batchSize: 2);
        var texts = scenes.Select(s => ScenePrompt.TrainingIds(Tok, "", s.Caption)).ToArray();
        var ids = texts.Select(t => t.Ids).ToArray();
        double batchLoss;
        using (Autograd.NoGrad())
            batchLoss = inference.AnswerLoss(inference.Encode(scenes.Select(s => s.Image).ToArray()), method, ids,
                AnswerTargets.Masks(ids, texts.Select(t => t.AnswerStart).ToArray())).Loss.Item();
        double[] tokens = texts.Select(t => (double)(t.Ids.Length - t.AnswerStart)).ToArray();
        double weighed = perScene.Zip(tokens, (l, n) => l * n).Sum() / tokens.Sum();
        Assert.Equal(batchLoss, weighed, 4);
        Assert.Equal(5, perScene.Distinct().Count());
    }

    [Fact]
    public void KeepingEveryTokenCostsNothingAndInLlmMethodsAreLeftOut()
    {
        var vlm = SceneBenchEvaluatorTests.TinySceneVlm();
        var inference = new VlmInference(vlm);
        var examples = new SceneBench().Split(SceneSplit.Test, 4).ToList();
        var scenes = examples.Select(e => e.Scene).ToArray();
        int n = vlm.Config.Vision.NumPatches;
        Assert.Equal(CaptionLossTable.PerScene(inference, Tok, scenes, null), CaptionLossTable.PerScene(inference, Tok, scenes, new RandomPruner(n, 1)));

        var plan = new TableEvaluation(inference, Tok, examples, MethodSelection.Parse("divprune,fastv,random", null), [1.0 / 9], "tiny").Plan;
        var table = CaptionLossTable.Compute(inference, Tok, scenes, plan);
        Assert.Equal(["Vanilla", "Random", "DivPrune"], table.Rows.Select(r => r.Method));
        Assert.Null(table.Rows[0].Difference);
        // without DiffPrune the reference is the lowest loss at the budget; the other row's difference is paired with it
        var (random, divPrune) = (table.Rows[1], table.Rows[2]);
        var (best, other) = random.Loss <= divPrune.Loss ? (random, divPrune) : (divPrune, random);
        Assert.Null(best.Difference);
        Assert.Equal(best.Method, other.Difference!.Reference);
        Assert.Equal(other.Loss - best.Loss, other.Difference.Value, 12);
        Assert.True(other.Difference.Interval.Lo <= other.Difference.Value && other.Difference.Value <= other.Difference.Interval.Hi);
        Assert.Contains("| Vanilla | 144 |", table.Markdown());
    }
}
