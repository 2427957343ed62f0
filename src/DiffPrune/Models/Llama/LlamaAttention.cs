using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Llama;

/// <summary>
/// LLaMA self-attention (HF names q_proj, k_proj, v_proj, o_proj; no biases, or Qwen2's on q, k and v): RoPE
/// (rotate-half) at explicit position ids, or M-RoPE at three planes of them (<see cref="PositionPlanes"/>),
/// grouped-query attention, causal + padding mask, optional KV cache.
/// </summary>
public sealed class LlamaAttention : Module
{
    readonly LlamaConfig _cfg;

    /// <summary>d → H·D.</summary>
    public Linear QProj { get; }
    /// <summary>d → Hkv·D.</summary>
    public Linear KProj { get; }
    /// <summary>d → Hkv·D.</summary>
    public Linear VProj { get; }
    /// <summary>H·D → d.</summary>
    public Linear OProj { get; }

    /// <summary>Creates the layer.</summary>
    public LlamaAttention(LlamaConfig cfg, Generator gen)
    {
        _cfg = cfg;
        int d = cfg.HiddenSize, kv = cfg.NumKvHeads * cfg.HeadDim;
        QProj = Child("q_proj", new Linear(d, d, cfg.AttentionBias, gen));
        KProj = Child("k_proj", new Linear(d, kv, cfg.AttentionBias, gen));
        VProj = Child("v_proj", new Linear(d, kv, cfg.AttentionBias, gen));
        OProj = Child("o_proj", new Linear(d, d, false, gen));
    }

    /// <summary>
    /// x (B, T, d) at <paramref name="positions"/> (B·T, or 3·B·T for M-RoPE: <see cref="PositionPlanes"/>) with key validity <paramref name="valid"/> (B·T) →
    /// (B, T, d), and the attention probabilities (B, H, T, S) when asked. <paramref name="mask"/>, when given, replaces
    /// the causal + padding mask built here (a caller without KV cache builds it once for all layers).
    /// </summary>
    public (Tensor Output, Tensor? Probs) Forward(Tensor x, int[] positions, bool[] valid, KvCache? cache, int layer, bool returnProbs, AttentionMask? mask = null)
    {
        int b = x.Shape[0], t = x.Shape[1];
        if (cache == null)
        {
            // fused, token-major: RoPE and attention read the heads in place, no transposed copies
            var qt = Rotate(QProj.Forward(x).Reshape(b, t, _cfg.NumHeads, _cfg.HeadDim), positions, tokenMajor: true);
            var kt = Rotate(KProj.Forward(x).Reshape(b, t, _cfg.NumKvHeads, _cfg.HeadDim), positions, tokenMajor: true);
            var (fused, p) = F.Attention(qt.Reshape(b, t, _cfg.NumHeads * _cfg.HeadDim), kt.Reshape(b, t, _cfg.NumKvHeads * _cfg.HeadDim),
                VProj.Forward(x), _cfg.NumHeads, _cfg.NumKvHeads, mask ?? CausalMask(valid, b), returnProbs: returnProbs);
            return (OProj.Forward(fused), p);
        }
        var q = Queries(x, positions);
        var k = Keys(x, positions);
        var v = Heads(VProj, x, _cfg.NumKvHeads);
        var keyValid = valid;
        if (cache != null) (k, v, keyValid) = cache.Append(layer, k, v, valid);
        mask ??= CausalMask(keyValid, b);
        var (o, probs) = F.ScaledDotProductAttention(q, k, v, mask, returnProbs: returnProbs);
        return (OProj.Forward(o.Transpose(1, 2).Reshape(b, t, _cfg.HiddenSize)), probs);
    }

    /// <summary>Causal attention over keys whose validity is <paramref name="keyValid"/> (B·S).</summary>
    public static AttentionMask CausalMask(bool[] keyValid, int batch) =>
        keyValid.All(ok => ok) ? AttentionMask.Causal : AttentionMask.Causal.And(AttentionMask.KeyPadding(keyValid, batch));

    /// <summary>Rotated queries (B, H, T, D) of the normed input x (B, T, d) at <paramref name="positions"/> (B·T, or 3·B·T for M-RoPE).</summary>
    public Tensor Queries(Tensor x, int[] positions) => Rotate(Heads(QProj, x, _cfg.NumHeads), positions, tokenMajor: false);

    /// <summary>Rotated keys (B, Hkv, T, D) of the normed input x (B, T, d) at <paramref name="positions"/> (B·T, or 3·B·T for M-RoPE), as the KV cache holds them.</summary>
    public Tensor Keys(Tensor x, int[] positions) => Rotate(Heads(KProj, x, _cfg.NumKvHeads), positions, tokenMajor: false);

    /// <summary>
    /// Heads (B, heads, T, D), or token-major (B, T, heads, D), rotated at <paramref name="positions"/>: M-RoPE when
    /// they hold three planes; ordinary RoPE for one, which is M-RoPE with equal planes (text, or a model without sections).
    /// </summary>
    Tensor Rotate(Tensor heads, int[] positions, bool tokenMajor)
    {
        int tokens = heads.Shape[0] * heads.Shape[tokenMajor ? 1 : 2];
        if (_cfg.MropeSection is { } sections && positions.Length == PositionPlanes.Multimodal * tokens)
            return tokenMajor
                ? F.MultimodalRopeTokenMajor(heads, positions, sections, _cfg.RopeTheta)
                : F.MultimodalRope(heads, positions, sections, _cfg.RopeTheta);
        return tokenMajor
            ? F.RopeTokenMajor(heads, positions, _cfg.RopeTheta, RopeStyle.Half)
            : F.Rope(heads, positions, _cfg.RopeTheta, RopeStyle.Half);
    }

    /// <summary>proj(x) (B, T, heads·D) split into heads (B, heads, T, D).</summary>
    Tensor Heads(Linear proj, Tensor x, int heads) => proj.Forward(x).Reshape(x.Shape[0], x.Shape[1], heads, _cfg.HeadDim).Transpose(1, 2);
}
