using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Tensors;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// Visual tokens on their way to the language model: features (B, K, d_v) before the projector and, per sample,
/// the patch index each token stands for (its original position; merged tokens take their target's).
/// Pre-LLM pruners map one <see cref="VisualTokens"/> to another.
/// </summary>
/// <param name="Features">(B, K, d_v).</param>
/// <param name="PatchIndex">Per sample, K patch indices in 0..N−1, ascending.</param>
/// <param name="Vision">The vision tower's output (hidden states, attentions) the tokens came from; null where only the
/// features were kept (methods that read attentions then say so).</param>
public sealed record VisualTokens(Tensor Features, int[][] PatchIndex, VisionOutput? Vision)
{
    /// <summary>All N tokens of features (B, N, d_v) in patch order, without the tower's output.</summary>
    public static VisualTokens Of(Tensor features) =>
        new(features, Enumerable.Range(0, features.Shape[0]).Select(_ => Enumerable.Range(0, features.Shape[1]).ToArray()).ToArray(), null);

    /// <summary>
    /// Per sample, the positions its image spans in the LLM input (LLaVA-NeXT: a length of its own and newline
    /// positions; see <see cref="VisualSpan"/>); null when every image spans the tower's N patches with no newline.
    /// </summary>
    public IReadOnlyList<VisualSpan>? Spans { get; init; }

    /// <summary>
    /// Per sample, the patch grid its image was encoded at (Qwen2.5-VL: a native-resolution image's merged grid, which its
    /// tokens' M-RoPE ids come from); null for models whose images all share the tower's grid.
    /// </summary>
    public IReadOnlyList<Qwen25PatchGrid>? Grids { get; init; }

    /// <summary>
    /// Per sample and original token (indexed by patch index), the attention it receives in the tower's last block
    /// (<see cref="Qwen25VisionOutput.GlobalAttention"/>: a tower without a CLS token); null unless the images were encoded
    /// with attentions by such a tower.
    /// </summary>
    public IReadOnlyList<float[]>? GlobalAttention { get; init; }

    /// <summary>Sample <paramref name="i"/> alone (a batch of 1, its <see cref="CountOf"/> tokens without padding), with its rows of the tower's output.</summary>
    public VisualTokens Sample(int i)
    {
        var features = Features.Slice(0, i, i + 1);
        if (CountOf(i) < Count) features = features.Slice(1, 0, CountOf(i));
        return new(features, [PatchIndex[i]],
            Vision == null ? null : new VisionOutput(Rows(Vision.HiddenStates, i), Vision.Attentions == null ? null : Rows(Vision.Attentions, i)))
        { Spans = Spans == null ? null : [Spans[i]], Grids = Grids == null ? null : [Grids[i]], GlobalAttention = GlobalAttention == null ? null : [GlobalAttention[i]] };
    }

    /// <summary>Samples <paramref name="rows"/> (repeats allowed), in that order, padding kept, without the tower's output (a
    /// batch of queries about these images).</summary>
    public VisualTokens Rows(int[] rows) => new(Features.IndexSelect(0, rows), rows.Select(i => PatchIndex[i]).ToArray(), null)
    {
        Spans = Spans == null ? null : rows.Select(i => Spans[i]).ToArray(),
        Grids = Grids == null ? null : rows.Select(i => Grids[i]).ToArray(),
        GlobalAttention = GlobalAttention == null ? null : rows.Select(i => GlobalAttention[i]).ToArray(),
    };

    /// <summary>
    /// Samples stacked into one batch (the inverse of <see cref="Sample"/>); samples with fewer tokens are zero-padded to
    /// the longest (their <see cref="CountOf"/> stays theirs).
    /// </summary>
    /// <exception cref="ArgumentException">Token counts differ while the tower's output is kept (its rows could not be stacked),
    /// or some samples have spans (or grids) and others not.</exception>
    public static VisualTokens Cat(IReadOnlyList<VisualTokens> samples)
    {
        if (samples.Count == 1) return samples[0];
        int slots = samples.Max(s => s.Count);
        if (samples[0].Vision != null && samples.Any(s => s.Count != slots))
            throw new ArgumentException("samples with different token counts cannot be stacked with their vision tower output: drop it (Vision = null) first");
        if (samples.Any(s => s.Spans == null) && samples.Any(s => s.Spans != null))
            throw new ArgumentException("samples with spans (LLaVA-NeXT) and without cannot be stacked: they come from different models");
        if (samples.Any(s => s.Grids == null) && samples.Any(s => s.Grids != null))
            throw new ArgumentException("samples with patch grids (Qwen2.5-VL) and without cannot be stacked: they come from different models");
        var features = samples.Select(s => s.Count == slots ? s.Features : Tensor.Cat([s.Features, Tensor.Zeros(s.Features.Shape[0], slots - s.Count, s.Features.Shape[2])], 1));
        return new(Tensor.Cat(features.ToArray(), 0), samples.SelectMany(s => s.PatchIndex).ToArray(),
            samples[0].Vision is not { } first ? null : new VisionOutput(Stack(samples, v => v.HiddenStates, first.HiddenStates.Count),
                first.Attentions == null ? null : Stack(samples, v => v.Attentions!, first.Attentions.Count)))
        {
            Spans = samples[0].Spans == null ? null : samples.SelectMany(s => s.Spans!).ToArray(),
            Grids = samples[0].Grids == null ? null : samples.SelectMany(s => s.Grids!).ToArray(),
            GlobalAttention = samples.All(s => s.GlobalAttention != null) ? samples.SelectMany(s => s.GlobalAttention!).ToArray() : null,
        };
    }

    /// <summary>Whether some sample holds fewer tokens than the batch has slots (its tail is padding).</summary>
    public bool IsPadded => PatchIndex.Any(p => p.Length < Count);

    static Tensor[] Rows(IReadOnlyList<Tensor> layers, int i) => layers.Select(t => t.Slice(0, i, i + 1)).ToArray();

    static Tensor[] Stack(IReadOnlyList<VisualTokens> samples, Func<VisionOutput, IReadOnlyList<Tensor>> layers, int count) =>
        Enumerable.Range(0, count).Select(l => Tensor.Cat(samples.Select(s => layers(s.Vision!)[l]).ToArray(), 0)).ToArray();

    /// <summary>Token slots per sample (the most any sample holds; see <see cref="CountOf"/>).</summary>
    public int Count => Features.Shape[1];

    /// <summary>Tokens sample <paramref name="i"/> holds: its first CountOf(i) slots are real, the rest zero padding
    /// (after an adaptive pruner, samples keep different numbers).</summary>
    public int CountOf(int i) => PatchIndex[i].Length;

    /// <summary>
    /// Keeps tokens <paramref name="keep"/> per sample (indices into the current tokens; sorted here to keep the
    /// original order). Samples may keep different numbers: features are zero-padded to the longest list.
    /// </summary>
    /// <exception cref="ArgumentException">A list is empty, repeats an index or leaves 0..Count−1.</exception>
    public VisualTokens Select(int[][] keep)
    {
        int b = Features.Shape[0], n = Features.Shape[1], d = Features.Shape[2];
        if (keep.Length != b) throw new ArgumentException($"{keep.Length} keep lists for a batch of {b}");
        int k = keep.Max(l => l.Length);
        var flat = new int[b * k];
        var present = new bool[b * k];
        var patches = new int[b][];
        for (int i = 0; i < b; i++)
        {
            var sorted = keep[i].Order().ToArray();
            if (sorted.Length == 0) throw new ArgumentException($"keep list of sample {i} is empty: every image keeps at least one token");
            for (int j = 0; j < sorted.Length; j++)
            {
                if (sorted[j] < 0 || sorted[j] >= CountOf(i) || (j > 0 && sorted[j] == sorted[j - 1]))
                    throw new ArgumentException($"keep list of sample {i} must hold distinct indices in 0..{CountOf(i) - 1}");
                flat[i * k + j] = i * n + sorted[j];
                present[i * k + j] = true;
            }
            patches[i] = sorted.Select(j => PatchIndex[i][j]).ToArray();
        }
        var features = Features.Reshape(b * n, d).IndexSelect(0, flat).Reshape(b, k, d);
        if (present.Any(p => !p)) features = features.Mul(PaddingMask(present, b, k));
        return this with { Features = features, PatchIndex = patches };
    }

    static Tensor PaddingMask(bool[] present, int b, int k)
    {
        var mask = Tensor.Zeros(b, k, 1);
        var data = mask.Data;
        for (int i = 0; i < present.Length; i++) if (present[i]) data[i] = 1f;
        return mask;
    }

    /// <summary>
    /// Keeps tokens <paramref name="decision"/>.Keep (ascending, per sample) and averages the tokens its MergeInto
    /// assigns into their slot; a merged token stands for its kept token's patch (VisionZip's contextual tokens).
    /// </summary>
    /// <exception cref="ArgumentException">The decision does not fit these tokens.</exception>
    public VisualTokens Merge(TokenDropDecision decision)
    {
        var features = decision.Gather(Features);
        var patches = decision.Keep.Select((keep, i) => keep.Select(j => PatchIndex[i][j]).ToArray()).ToArray();
        return this with { Features = features, PatchIndex = patches };
    }
}
