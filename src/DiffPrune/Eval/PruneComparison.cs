using DiffPrune.Tensors.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval.Profiling;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Reporting;
using DiffPrune.Tensors;

namespace DiffPrune.Eval;

/// <summary>One question about one image answered with and without pruning (<see cref="PruneComparison.Run"/>).</summary>
/// <param name="Method">The pruning method's label.</param>
/// <param name="Location">Where it prunes.</param>
/// <param name="VisualTokens">N.</param>
/// <param name="Question">The question.</param>
/// <param name="Unpruned">The answer with all N tokens.</param>
/// <param name="Pruned">The answer with the method.</param>
/// <param name="UnprunedTiming">TTFT split without pruning.</param>
/// <param name="PrunedTiming">TTFT split with the method.</param>
/// <param name="Kept">Patch indices (raster order) of the tokens the method keeps, ascending.</param>
/// <param name="Top">The tokens of the matrix's first block: by score, best first, for a scorer; else the kept ones.</param>
/// <param name="Bottom">Its second block: the lowest-scored tokens, lowest last, for a scorer; else dropped ones at an even stride.</param>
/// <param name="Ranked">Whether Top and Bottom come from scores (DiffPrune) rather than the kept set alone.</param>
/// <param name="Overlay">Kept (red) and dropped (blue) patches over the image.</param>
/// <param name="Similarity">The cosine-similarity matrix of [Top ; Bottom] as an image.</param>
public sealed record PruneResult(string Method, string Location, int VisualTokens, string Question, string Unpruned, string Pruned,
    MethodProfile UnprunedTiming, MethodProfile PrunedTiming, IReadOnlyList<int> Kept, IReadOnlyList<int> Top, IReadOnlyList<int> Bottom,
    bool Ranked, RgbImage Overlay, RgbImage Similarity);

/// <summary>
/// What <c>diffprune prune</c> does, as a library: answers a question about an image with all visual tokens and with
/// a pruning method, times both (the TTFT split of <see cref="ModelProfiler"/>), and draws paper Figure 5 with
/// <see cref="TokenMap"/>: kept and dropped tokens over the image, and the similarity of the top-K and bottom-K tokens
/// (vision features, the scorer's input).
/// </summary>
public static class PruneComparison
{
    /// <summary>About how many pixels wide the similarity image is drawn (whole pixels per entry, at least 2).</summary>
    const int SimilaritySide = 256;

    /// <summary>Reads a PNG image.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a PNG (the message says how to fix it), a broken one, a folder or a pipe.</exception>
    /// <exception cref="DiffPrune.Tensors.ResourceLimitException">The file or image is above the decoder's limits.</exception>
    public static RgbImage ReadImage(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"image {path} does not exist: give a PNG file", path);
        var bytes = PngDecoder.ReadFile(path);
        if (bytes.Length < PngDecoder.Signature.Length || !bytes.AsSpan(0, PngDecoder.Signature.Length).SequenceEqual(PngDecoder.Signature))
            throw new InvalidDataException($"{path} is not a PNG file: convert it first (e.g. ImageMagick: convert {Path.GetFileName(path)} image.png)");
        return PngDecoder.Decode(bytes, path);
    }

    /// <summary>
    /// Resizes <paramref name="image"/> to the model's input, answers <paramref name="question"/> greedily without
    /// pruning and with <paramref name="method"/>, times both (medians of <paramref name="runs"/> after
    /// <paramref name="warmup"/>) and draws the figures; the answers and figures read the image's features from
    /// <paramref name="inference"/> (encoded there once).
    /// </summary>
    /// <exception cref="ArgumentException">An empty question.</exception>
    public static PruneResult Run(VlmInference inference, WordTokenizer tokenizer, ComparedMethod method, RgbImage image, string question,
        int runs = 10, int warmup = 2)
    {
        if (string.IsNullOrWhiteSpace(question)) throw new ArgumentException("the question is empty: ask something about the image");
        var vlm = inference.AsLlava("the pruning comparison (its figures draw the tower's grid)");
        int size = vlm.Config.Vision.ImageSize;
        var resized = image.Width == size && image.Height == size ? image : ImageResize.Bilinear(image, size, size);
        var pruning = method.Build(vlm);
        var evaluator = new SceneBenchEvaluator(inference, tokenizer, batchSize: 1);
        var unpruned = evaluator.Answer([(resized, question)])[0];
        var pruned = evaluator.Answer([(resized, question)], pruning)[0];
        var prompt = ScenePrompt.PromptIds(tokenizer, question);
        var timing = EfficiencyProfile.ForImage(vlm, tokenizer, "prune", "the given image and question", resized, question,
            [MethodSelection.Vanilla, method with { Build = _ => pruning }], pruning.Keep, runs, warmup).Run();

        using var _ = Autograd.NoGrad();
        var tokens = inference.Encode([resized], pruning.NeedsVisionAttentions);
        var kept = KeptPatches(inference, pruning, tokens, prompt);
        var features = tokens.Features.Reshape(tokens.Count, -1);
        var (top, bottom, ranked) = Blocks(pruning, features, kept);
        var overlay = TokenMap.Overlay(resized, vlm.Config.Vision.GridSize, kept);
        var similarity = TokenMap.SimilarityImage(TokenMap.Similarity(features, [.. top, .. bottom]), top.Length, cell: Math.Max(2, SimilaritySide / (top.Length + bottom.Length)));
        return new PruneResult(method.Label, pruning.Location, tokens.Count, question, unpruned, pruned, timing.Rows[0], timing.Rows[1],
            kept, top, bottom, ranked, overlay, similarity);
    }

    /// <summary>The patches a method keeps: after its pre-LLM function, or the image tokens that reach the last decoder layer.</summary>
    internal static int[] KeptPatches(VlmInference inference, IPruningMethod method, VisualTokens tokens, int[] prompt)
    {
        if (method.PreLlm is { } preLlm) return preLlm(tokens).PatchIndex[0].Distinct().Order().ToArray();
        var input = inference.Assemble(tokens, [prompt], method.Droppers);
        var output = inference.Prefill(input);
        int imageStart = input.Positions[input.ImageSpans![0].Start];
        var span = output.ImageSpans![0];
        return Enumerable.Range(span.Start, span.Length).Select(j => output.Positions[j] - imageStart).Order().ToArray();
    }

    /// <summary>[Top ; Bottom] of the similarity matrix: by a scorer's logits when the method has one, else the kept
    /// tokens and as many dropped ones at an even stride.</summary>
    static (int[] Top, int[] Bottom, bool Ranked) Blocks(IPruningMethod method, Tensor features, int[] kept)
    {
        int n = features.Shape[0], k = kept.Length, bottom = Math.Min(k, n - k);
        if (method is TokenPruner pruner)
        {
            var logits = pruner.Scorer.Forward(features.Reshape(1, n, -1)).ToArray();
            var ranked = Ranking.Descending(Enumerable.Range(0, n), i => logits[i]);
            return (ranked[..k], ranked[(n - bottom)..], true);
        }
        var dropped = Enumerable.Range(0, n).Except(kept).ToArray();
        return (kept, Enumerable.Range(0, bottom).Select(i => dropped[i * dropped.Length / bottom]).ToArray(), false);
    }

    /// <summary>Writes tokens.png (the overlay), similarity.png, report.md and report.json into <paramref name="dir"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(string dir, PruneResult result)
    {
        Directory.CreateDirectory(dir);
        var paths = new[] { "tokens.png", "similarity.png", "report.md", "report.json" }.Select(f => Path.Combine(dir, f)).ToArray();
        PngEncoder.Save(result.Overlay, paths[0]);
        PngEncoder.Save(result.Similarity, paths[1]);
        AtomicFile.WriteAllText(paths[2], Markdown(result));
        AtomicFile.WriteAllText(paths[3], JsonSerializer.Serialize(new
        {
            method = result.Method,
            location = result.Location,
            visualTokens = result.VisualTokens,
            keep = result.Kept.Count,
            question = result.Question,
            unpruned = new { answer = result.Unpruned, timing = Timing(result.UnprunedTiming) },
            pruned = new { answer = result.Pruned, timing = Timing(result.PrunedTiming) },
            kept = result.Kept,
            top = result.Top,
            bottom = result.Bottom,
            ranked = result.Ranked,
        }, new JsonSerializerOptions(JsonLines.Options) { WriteIndented = true }));
        return paths;
    }

    static object Timing(MethodProfile p) => new { encodeMs = p.EncodeMs, prunerMs = p.PrunerMs, prefillMs = p.PrefillMs, ttftMs = p.TtftMs };

    /// <summary>The report: answers and timings side by side, the two figures and what they show.</summary>
    public static string Markdown(PruneResult r)
    {
        var md = new StringBuilder("# One question with and without pruning\n\n");
        md.AppendLine(CultureInfo.InvariantCulture, $"Question: *{r.Question}*  ").AppendLine(CultureInfo.InvariantCulture,
            $"Method: {r.Method} ({r.Location}), keeping {r.Kept.Count} of {r.VisualTokens} visual tokens ({BudgetFractions.PruningPercent(r.Kept.Count, r.VisualTokens)} pruning).").AppendLine();
        md.AppendLine("| | answer | Enc. | Pruner | Prefill | TTFT (ms) |").AppendLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (var (name, answer, t) in new[] { ("unpruned", r.Unpruned, r.UnprunedTiming), (r.Method, r.Pruned, r.PrunedTiming) })
            md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {answer} | {t.EncodeMs:F2} | {t.PrunerMs:F2} | {t.PrefillMs:F2} | {t.TtftMs:F2} |");
        md.AppendLine().AppendLine("![kept and dropped tokens](tokens.png) ![similarity](similarity.png)").AppendLine();
        md.AppendLine("Left: kept tokens tinted red, dropped ones blue. Right: cosine similarity of the vision features of " + (r.Ranked
            ? $"the top-{r.Top.Count} tokens by score (best first) and the bottom-{r.Bottom.Count} (lowest last)"
            : $"the {r.Top.Count} kept tokens and {r.Bottom.Count} dropped ones at an even stride (the method gives no scores)")
            + ", [top ; bottom] × [top ; bottom], blue −1, white 0, red 1, a black line between the blocks.");
        return md.ToString();
    }
}
