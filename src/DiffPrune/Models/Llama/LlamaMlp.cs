using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Llama;

/// <summary>SwiGLU feed-forward: down_proj(silu(gate_proj(x)) ⊙ up_proj(x)) (HF names, no biases).</summary>
public sealed class LlamaMlp : Module
{
    /// <summary>d → I.</summary>
    public Linear GateProj { get; }
    /// <summary>d → I.</summary>
    public Linear UpProj { get; }
    /// <summary>I → d.</summary>
    public Linear DownProj { get; }

    /// <summary>Creates the block.</summary>
    public LlamaMlp(LlamaConfig cfg, Generator gen)
    {
        GateProj = Child("gate_proj", new Linear(cfg.HiddenSize, cfg.IntermediateSize, false, gen));
        UpProj = Child("up_proj", new Linear(cfg.HiddenSize, cfg.IntermediateSize, false, gen));
        DownProj = Child("down_proj", new Linear(cfg.IntermediateSize, cfg.HiddenSize, false, gen));
    }

    /// <summary>(..., d) → (..., d).</summary>
    public Tensor Forward(Tensor x) => DownProj.Forward(GateProj.Forward(x).Silu().Mul(UpProj.Forward(x)));
}
