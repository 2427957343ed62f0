using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Eval;

/// <summary>
/// Answers SceneBench questions with a VLM (greedy decoding, batched, left-padded) and scores them with each
/// suite's own score. Pruning plugs in through the VLM's two hooks (a pre-LLM function on the visual tokens and
/// in-LLM token droppers), or as an <see cref="IPruningMethod"/> that sets both.
/// </summary>
public sealed class SceneBenchEvaluator(LlavaModel vlm, WordTokenizer tokenizer, ImageNormalization normalization, int batchSize = 16, int maxAnswerTokens = 8)
{
    /// <summary>Greedy answers to (image, prompt) queries, in order.</summary>
    public string[] Answer(IReadOnlyList<(RgbImage Image, string Prompt)> queries,
        Func<VisualTokens, VisualTokens>? preLlm = null, IReadOnlyList<ITokenDropper>? droppers = null) =>
        Answer(queries, preLlm, droppers, visionAttentions: false);

    /// <summary>Greedy answers with <paramref name="method"/>'s hooks (the vision tower records attentions when the method reads them).</summary>
    public string[] Answer(IReadOnlyList<(RgbImage Image, string Prompt)> queries, IPruningMethod method) =>
        Answer(queries, method.PreLlm, method.Droppers, method.NeedsVisionAttentions);

    string[] Answer(IReadOnlyList<(RgbImage Image, string Prompt)> queries,
        Func<VisualTokens, VisualTokens>? preLlm, IReadOnlyList<ITokenDropper>? droppers, bool visionAttentions)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batch size must be at least 1 (got {batchSize})");
        using var _ = Autograd.NoGrad();
        var answers = new string[queries.Count];
        for (int start = 0; start < queries.Count; start += batchSize)
        {
            var batch = queries.Skip(start).Take(batchSize).ToArray();
            var pixels = ImageTensors.ToTensor(batch.Select(q => q.Image).ToArray(), normalization);
            var text = batch.Select(q => ScenePrompt.PromptIds(tokenizer, q.Prompt)).ToArray();
            var input = vlm.Prepare(pixels, text, preLlm, visionAttentions) with { Droppers = droppers ?? [] };
            var ids = Generation.Generate(vlm.LanguageModel, input, maxAnswerTokens, SamplingOptions.Greedy, tokenizer.EosId);
            for (int i = 0; i < batch.Length; i++) answers[start + i] = tokenizer.Decode(ids[i]);
        }
        return answers;
    }

    /// <summary>Every question of <paramref name="examples"/> answered and scored per suite (VizWiz items use their degraded image).</summary>
    public IReadOnlyList<SuiteScore> Evaluate(IEnumerable<SceneExample> examples,
        Func<VisualTokens, VisualTokens>? preLlm = null, IReadOnlyList<ITokenDropper>? droppers = null) =>
        Evaluate(examples, queries => Answer(queries, preLlm, droppers));

    /// <summary>Every question of <paramref name="examples"/> answered with <paramref name="method"/> and scored per suite.</summary>
    public IReadOnlyList<SuiteScore> Evaluate(IEnumerable<SceneExample> examples, IPruningMethod method) =>
        Evaluate(examples, queries => Answer(queries, method));

    static IReadOnlyList<SuiteScore> Evaluate(IEnumerable<SceneExample> examples, Func<IReadOnlyList<(RgbImage Image, string Prompt)>, string[]> answer)
    {
        var items = examples.SelectMany(e => e.Items.Select(q => (Item: q, Image: q.Image ?? e.Scene.Image))).ToArray();
        var answers = answer(items.Select(x => (x.Image, x.Item.Prompt)).ToArray());
        return SceneSuites.All.Select(suite =>
        {
            var idx = Enumerable.Range(0, items.Length).Where(i => items[i].Item.Suite == suite).ToArray();
            return SuiteScoring.Score(suite, idx.Select(i => items[i].Item).ToArray(), idx.Select(i => answers[i]).ToArray());
        }).ToArray();
    }
}
