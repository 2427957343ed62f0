using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// What CLS-attention methods read from the vision tower. The feature layer is the last layer the VLM ran (LLaVA's
/// −2), so its attention is the last of <see cref="VisionOutput.Attentions"/> and its input the hidden state before
/// its output. Token j of sample b is patch PatchIndex[b][j]: row and column 1 + PatchIndex[b][j] (CLS is 0).
/// </summary>
internal static class VisionCues
{
    /// <summary>CLS → patch attention of the feature layer, summed over heads, for each of sample b's tokens.</summary>
    /// <exception cref="ArgumentException">The tokens were encoded without attentions.</exception>
    public static float[] ClsAttention(VisualTokens tokens, int b, string method)
    {
        var attn = Vision(tokens, method).Attentions![^1]; // (B, H, 1 + N, 1 + N)
        var scores = new float[tokens.Count];
        for (int j = 0; j < scores.Length; j++)
            for (int head = 0; head < attn.Shape[1]; head++) scores[j] += attn[b, head, 0, 1 + tokens.PatchIndex[b][j]];
        return scores;
    }

    /// <summary>
    /// How much attention each of sample b's tokens draws in the tower, averaged over heads: the CLS → patch attention of
    /// the feature layer, or in a tower without a CLS token (Qwen2.5-VL) the attention the token receives from every patch
    /// in the last block (<see cref="VisualTokens.GlobalAttention"/>, VisPruner's and VisionZip's stand-in).
    /// </summary>
    /// <exception cref="ArgumentException">The tokens were encoded without attentions.</exception>
    public static float[] MeanAttention(VisualTokens tokens, int b, string method)
    {
        if (tokens.Vision == null && tokens.GlobalAttention is { } global) return tokens.PatchIndex[b].Select(p => global[b][p]).ToArray();
        int heads = Vision(tokens, method).Attentions![^1].Shape[1];
        return ClsAttention(tokens, b, method).Select(a => a / heads).ToArray();
    }

    /// <summary>
    /// The feature layer's keys averaged over heads (VisionZip's merge metric) for sample b's tokens (N, d_v / H):
    /// that layer's layer_norm1 and k_proj applied again to its input.
    /// </summary>
    public static Tensor MeanHeadKeys(ClipVisionTransformer tower, VisualTokens tokens, int b, string method)
    {
        var vision = Vision(tokens, method);
        int layer = vision.Attentions!.Count - 1;
        var block = tower.Encoder.Layers[layer];
        var input = vision.HiddenStates[layer];                               // (B, 1 + N, d_v): what entered the layer
        var rows = tokens.PatchIndex[b].Select(p => b * input.Shape[1] + 1 + p).ToArray();
        var x = input.Reshape(-1, input.Shape[2]).IndexSelect(0, rows);      // (N, d_v)
        int heads = block.SelfAttn.Heads;
        var keys = block.SelfAttn.KProj.Forward(block.LayerNorm1.Forward(x)); // (N, d_v)
        return keys.Reshape(rows.Length, heads, input.Shape[2] / heads).Mean(1);
    }

    /// <summary>The tower's output the tokens came from, whose last attention map is the feature layer's.</summary>
    /// <exception cref="ArgumentException">No attentions were recorded.</exception>
    static VisionOutput Vision(VisualTokens tokens, string method)
    {
        if (tokens.Vision is not { Attentions.Count: > 0 } vision)
            throw new ArgumentException($"{method} reads the vision tower's attention maps: encode the images with attentions (VlmInference.Encode with attentions: true)");
        return vision;
    }
}
