using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Eval;

/// <summary>
/// Answers SceneBench questions greedily through <see cref="VlmInference.Generate"/> (batched; each image encoded once
/// per <see cref="VlmInference"/>, whatever the method) and scores them with each suite's own score. A pruning method
/// plugs in through its hooks (<see cref="IPruningHooks"/>). In a <paramref name="world"/> of several ranks each rank
/// encodes and answers its share of the batches of images (<see cref="WorkShare"/>) and every rank receives all answers,
/// so that each holds the single process's result, bit for bit.
/// </summary>
public sealed class SceneBenchEvaluator(VlmInference inference, WordTokenizer tokenizer, int batchSize = 16, int maxAnswerTokens = 8, Communicator? world = null)
{
    readonly Communicator _world = world ?? Communicator.Single;

    /// <summary>Greedy answers to (image, prompt) queries, in order, with <paramref name="method"/> (null: unpruned).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch size below 1.</exception>
    public string[] Answer(IReadOnlyList<(RgbImage Image, string Prompt)> queries, IPruningHooks? method = null)
    {
        var mine = inference.Generate(queries.Select(q => (q.Image, ScenePrompt.PromptIds(tokenizer, q.Prompt))).ToArray(), method, maxAnswerTokens,
            tokenizer.EosId, batchSize, share: WorkShare.Of(_world));
        return ShardedAnswers.Gather(_world, mine).Select(tokenizer.Decode).ToArray();
    }

    /// <summary>Every question of <paramref name="examples"/> answered with <paramref name="method"/> (null: unpruned) and
    /// scored per suite (VizWiz items use their degraded image).</summary>
    public IReadOnlyList<SuiteScore> Evaluate(IEnumerable<SceneExample> examples, IPruningHooks? method = null) =>
        EvaluateScenes(examples, method).Scores;

    /// <summary>As <see cref="Evaluate"/>, with every scene's answers kept (what a bootstrap over scenes resamples).</summary>
    public SceneBenchResult EvaluateScenes(IEnumerable<SceneExample> examples, IPruningHooks? method = null)
    {
        var scenes = examples.ToArray();
        var items = scenes.SelectMany((e, s) => e.Items.Select(q => (Scene: s, Item: q, Image: q.Image ?? e.Scene.Image))).ToArray();
        var answers = Answer(items.Select(x => (x.Image, x.Item.Prompt)).ToArray(), method);
        var scores = SceneSuites.All.Select(suite =>
        {
            var idx = Enumerable.Range(0, items.Length).Where(i => items[i].Item.Suite == suite).ToArray();
            return SuiteScoring.Score(suite, idx.Select(i => items[i].Item).ToArray(), idx.Select(i => answers[i]).ToArray());
        }).ToArray();
        var byScene = Enumerable.Range(0, items.Length).ToLookup(i => items[i].Scene);
        var outcomes = scenes.Select((e, s) => new SceneOutcome(e.Scene.Seed, byScene[s].Select(i => items[i].Item).ToArray(), byScene[s].Select(i => answers[i]).ToArray())).ToArray();
        return new SceneBenchResult(scores, outcomes);
    }
}
