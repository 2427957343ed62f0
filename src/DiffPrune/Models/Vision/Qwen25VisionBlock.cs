using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Vision;

// Legend: N = patches of one image, d = hidden size, H = heads, D = head dim (d = H·D).

/// <summary>
/// Qwen2.5-VL vision attention (HF <c>Qwen2_5_VLVisionAttention</c>): fused <c>qkv</c> with bias, q and k turned by the
/// 2-D rotary embedding at each patch's grid row and column, attention within the keys the mask allows, <c>proj</c> with bias.
/// </summary>
public sealed class Qwen25VisionAttention : Module
{
    readonly Qwen25VisionConfig _cfg;

    /// <summary>d → 3d: per token all of q, then k, then v, each head by head (HF reshapes to (N, 3, H, D)).</summary>
    public Linear Qkv { get; }
    /// <summary>d → d.</summary>
    public Linear Proj { get; }

    /// <summary>Creates the layer.</summary>
    public Qwen25VisionAttention(Qwen25VisionConfig cfg, Generator gen)
    {
        _cfg = cfg;
        Qkv = Child("qkv", new Linear(cfg.HiddenSize, 3 * cfg.HiddenSize, true, gen));
        Proj = Child("proj", new Linear(cfg.HiddenSize, cfg.HiddenSize, true, gen));
    }

    /// <summary>x (1, N, d) with patch rows and columns (N each) → (1, N, d); <paramref name="mask"/> null = every patch sees every patch.</summary>
    public Tensor Forward(Tensor x, int[] rows, int[] cols, AttentionMask? mask) => Forward(x, rows, cols, mask, returnProbs: false).Output;

    /// <summary>As <see cref="Forward(Tensor, int[], int[], AttentionMask?)"/>, with the attention probabilities (1, H, N, N)
    /// when <paramref name="returnProbs"/> (values only).</summary>
    public (Tensor Output, Tensor? Probs) Forward(Tensor x, int[] rows, int[] cols, AttentionMask? mask, bool returnProbs)
    {
        int d = _cfg.HiddenSize;
        var qkv = Qkv.Forward(x);                                                        // (1, N, 3d)
        var q = Rotate(qkv.Slice(2, 0, d), rows, cols);
        var k = Rotate(qkv.Slice(2, d, 2 * d), rows, cols);
        var (o, probs) = F.Attention(q, k, qkv.Slice(2, 2 * d, 3 * d), _cfg.NumHeads, _cfg.NumHeads, mask, returnProbs: returnProbs);
        return (Proj.Forward(o), probs);
    }

    /// <summary>(1, N, d) → the same, each head turned by the 2-D rotary embedding (token-major, no transposes).</summary>
    Tensor Rotate(Tensor x, int[] rows, int[] cols)
    {
        int n = x.Shape[1];
        return F.Rope2DTokenMajor(x.Reshape(1, n, _cfg.NumHeads, _cfg.HeadDim), rows, cols, Qwen25VisionConfig.RopeTheta)
            .Reshape(1, n, _cfg.HiddenSize);
    }
}

/// <summary>Gated MLP with biases (HF <c>Qwen2_5_VLMLP</c>): down_proj(act(gate_proj(x)) ⊙ up_proj(x)).</summary>
public sealed class Qwen25VisionMlp : Module
{
    readonly Activation _act;

    /// <summary>d → I.</summary>
    public Linear GateProj { get; }
    /// <summary>d → I.</summary>
    public Linear UpProj { get; }
    /// <summary>I → d.</summary>
    public Linear DownProj { get; }

    /// <summary>Creates the block.</summary>
    public Qwen25VisionMlp(Qwen25VisionConfig cfg, Generator gen)
    {
        _act = cfg.HiddenAct;
        GateProj = Child("gate_proj", new Linear(cfg.HiddenSize, cfg.IntermediateSize, true, gen));
        UpProj = Child("up_proj", new Linear(cfg.HiddenSize, cfg.IntermediateSize, true, gen));
        DownProj = Child("down_proj", new Linear(cfg.IntermediateSize, cfg.HiddenSize, true, gen));
    }

    /// <summary>(..., d) → (..., d).</summary>
    public Tensor Forward(Tensor x) => DownProj.Forward(_act.Apply(GateProj.Forward(x)).Mul(UpProj.Forward(x)));
}

/// <summary>Pre-norm block (HF <c>Qwen2_5_VLVisionBlock</c>): x + attn(norm1(x)), then + mlp(norm2(·)); RMSNorms.</summary>
public sealed class Qwen25VisionBlock : Module
{
    /// <summary>Norm before attention.</summary>
    public RmsNorm Norm1 { get; }
    /// <summary>Attention.</summary>
    public Qwen25VisionAttention Attn { get; }
    /// <summary>Norm before the MLP.</summary>
    public RmsNorm Norm2 { get; }
    /// <summary>MLP.</summary>
    public Qwen25VisionMlp Mlp { get; }

    /// <summary>Creates the block.</summary>
    public Qwen25VisionBlock(Qwen25VisionConfig cfg, Generator gen)
    {
        Norm1 = Child("norm1", new RmsNorm(cfg.HiddenSize, Qwen25VisionConfig.RmsNormEps));
        Attn = Child("attn", new Qwen25VisionAttention(cfg, gen));
        Norm2 = Child("norm2", new RmsNorm(cfg.HiddenSize, Qwen25VisionConfig.RmsNormEps));
        Mlp = Child("mlp", new Qwen25VisionMlp(cfg, gen));
    }

    /// <summary>x (1, N, d) → (1, N, d); see <see cref="Qwen25VisionAttention.Forward(Tensor, int[], int[], AttentionMask?)"/>.</summary>
    public Tensor Forward(Tensor x, int[] rows, int[] cols, AttentionMask? mask) => Forward(x, rows, cols, mask, returnProbs: false).Output;

    /// <summary>As <see cref="Forward(Tensor, int[], int[], AttentionMask?)"/>, with the attention probabilities (1, H, N, N)
    /// when <paramref name="returnProbs"/>.</summary>
    public (Tensor Output, Tensor? Probs) Forward(Tensor x, int[] rows, int[] cols, AttentionMask? mask, bool returnProbs)
    {
        var (attended, probs) = Attn.Forward(Norm1.Forward(x), rows, cols, mask, returnProbs);
        var h = x.Add(attended);
        return (h.Add(Mlp.Forward(Norm2.Forward(h))), probs);
    }
}
