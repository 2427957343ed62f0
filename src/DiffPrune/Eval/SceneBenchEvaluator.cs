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
    /// <summary>
    /// Greedy answers to (image, prompt) queries, in order. Each distinct image (by reference) is encoded and
    /// pre-LLM-pruned once for all its queries; without in-LLM droppers its visual prefix is also prefilled once and
    /// its KV cache shared by its prompts (in-LLM droppers decide per prompt, so each query then runs whole).
    /// </summary>
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
        var images = queries.Select(q => q.Image).Distinct(ReferenceEqualityComparer.Instance).Cast<RgbImage>().ToList();
        var imageIndex = new Dictionary<RgbImage, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < images.Count; i++) imageIndex[images[i]] = i;
        var byImage = Enumerable.Range(0, queries.Count).GroupBy(q => imageIndex[queries[q].Image]).ToDictionary(g => g.Key, g => g.ToArray());
        bool shared = (droppers == null || droppers.Count == 0) && queries.All(q => q.Prompt.Length > 0);
        for (int start = 0; start < images.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, images.Count - start);
            var pixels = ImageTensors.ToTensor(images.Skip(start).Take(count).ToArray(), normalization);
            var tokens = vlm.EncodeImages(pixels, visionAttentions);
            if (preLlm != null) tokens = preLlm(tokens);
            var projected = vlm.Projector.Forward(tokens.Features);
            var rows = Enumerable.Range(0, count).SelectMany(i => byImage[start + i].Select(q => (Query: q, Image: i))).ToArray();
            var prefix = shared ? Prefill(projected, tokens.PatchIndex) : null;
            foreach (var chunk in rows.Chunk(batchSize * 4))
            {
                var ids = prefix != null
                    ? AnswerOnPrefix(prefix, chunk.Select(r => r.Image).ToArray(), chunk.Select(r => queries[r.Query].Prompt).ToArray())
                    : AnswerWhole(projected, tokens.PatchIndex, chunk.Select(r => r.Image).ToArray(), chunk.Select(r => queries[r.Query].Prompt).ToArray(), droppers);
                for (int i = 0; i < chunk.Length; i++) answers[chunk[i].Query] = tokenizer.Decode(ids[i]);
            }
        }
        return answers;
    }

    /// <summary>The prompt's shared part, BOS and the image, run once per image into a KV cache.</summary>
    KvCache Prefill(Tensor projected, int[][] patchIndex)
    {
        int b = projected.Shape[0];
        var head = Enumerable.Range(0, b).Select(_ => ScenePrompt.ImagePrefixIds(tokenizer)).ToArray();
        var cache = new KvCache(vlm.Config.Text.NumLayers, b);
        vlm.LanguageModel.Forward(vlm.BuildInput(projected, patchIndex, head) with { Cache = cache, LastLogitsOnly = true });
        return cache;
    }

    int[][] AnswerOnPrefix(KvCache prefix, int[] imageOf, string[] prompts)
    {
        var text = prompts.Select(p => tokenizer.Encode(p, bos: false)).ToArray();
        return Generation.Generate(vlm.LanguageModel, vlm.BuildContinuation(text, textBeforeImage: ScenePrompt.ImagePrefixIds(tokenizer).Length - 1), maxAnswerTokens, SamplingOptions.Greedy,
            tokenizer.EosId, cache: prefix.Gather(imageOf));
    }

    int[][] AnswerWhole(Tensor projected, int[][] patchIndex, int[] imageOf, string[] prompts, IReadOnlyList<ITokenDropper>? droppers)
    {
        var input = vlm.BuildInput(projected.IndexSelect(0, imageOf), imageOf.Select(i => patchIndex[i]).ToArray(),
            prompts.Select(p => ScenePrompt.PromptIds(tokenizer, p)).ToArray()) with
        { Droppers = droppers ?? [] };
        return Generation.Generate(vlm.LanguageModel, input, maxAnswerTokens, SamplingOptions.Greedy, tokenizer.EosId);
    }

    /// <summary>Every question of <paramref name="examples"/> answered and scored per suite (VizWiz items use their degraded image).</summary>
    public IReadOnlyList<SuiteScore> Evaluate(IEnumerable<SceneExample> examples,
        Func<VisualTokens, VisualTokens>? preLlm = null, IReadOnlyList<ITokenDropper>? droppers = null) =>
        EvaluateScenes(examples, queries => Answer(queries, preLlm, droppers)).Scores;

    /// <summary>Every question of <paramref name="examples"/> answered with <paramref name="method"/> and scored per suite.</summary>
    public IReadOnlyList<SuiteScore> Evaluate(IEnumerable<SceneExample> examples, IPruningMethod method) =>
        EvaluateScenes(examples, method).Scores;

    /// <summary>As <see cref="Evaluate(IEnumerable{SceneExample}, IPruningMethod)"/>, with every scene's answers kept (what a bootstrap over scenes resamples).</summary>
    public SceneBenchResult EvaluateScenes(IEnumerable<SceneExample> examples, IPruningMethod method) =>
        EvaluateScenes(examples, queries => Answer(queries, method));

    static SceneBenchResult EvaluateScenes(IEnumerable<SceneExample> examples, Func<IReadOnlyList<(RgbImage Image, string Prompt)>, string[]> answer)
    {
        var scenes = examples.ToArray();
        var items = scenes.SelectMany((e, s) => e.Items.Select(q => (Scene: s, Item: q, Image: q.Image ?? e.Scene.Image))).ToArray();
        var answers = answer(items.Select(x => (x.Image, x.Item.Prompt)).ToArray());
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
