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
/// <param name="Vision">The vision tower's output (hidden states, attentions) the tokens came from.</param>
public sealed record VisualTokens(Tensor Features, int[][] PatchIndex, VisionOutput Vision)
{
    /// <summary>Number of tokens per sample.</summary>
    public int Count => Features.Shape[1];

    /// <summary>Keeps tokens <paramref name="keep"/> per sample (indices into the current tokens; sorted here to keep the original order).</summary>
    public VisualTokens Select(int[][] keep)
    {
        int b = Features.Shape[0], n = Features.Shape[1], d = Features.Shape[2];
        if (keep.Length != b) throw new ArgumentException($"{keep.Length} keep lists for a batch of {b}");
        int k = keep[0].Length;
        var flat = new int[b * k];
        var patches = new int[b][];
        for (int i = 0; i < b; i++)
        {
            var sorted = keep[i].Order().ToArray();
            if (sorted.Length != k) throw new ArgumentException($"sample {i} keeps {sorted.Length} tokens, sample 0 keeps {k}");
            for (int j = 0; j < k; j++)
            {
                if (sorted[j] < 0 || sorted[j] >= n || (j > 0 && sorted[j] == sorted[j - 1]))
                    throw new ArgumentException($"keep list of sample {i} must hold distinct indices in 0..{n - 1}");
                flat[i * k + j] = i * n + sorted[j];
            }
            patches[i] = sorted.Select(j => PatchIndex[i][j]).ToArray();
        }
        var features = Features.Reshape(b * n, d).IndexSelect(0, flat).Reshape(b, k, d);
        return this with { Features = features, PatchIndex = patches };
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
