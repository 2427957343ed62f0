using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Vlm;

/// <summary>LLaVA-1.5's projector: linear_2(act(linear_1(x))), d_v → d → d.</summary>
public sealed class LlavaProjector : Module
{
    readonly Activation _act;

    /// <summary>d_v → d.</summary>
    public Linear Linear1 { get; }
    /// <summary>d → d.</summary>
    public Linear Linear2 { get; }

    /// <summary>Creates the projector.</summary>
    public LlavaProjector(LlavaConfig cfg, Generator gen)
    {
        _act = cfg.ProjectorAct;
        Linear1 = Child("linear_1", new Linear(cfg.Vision.HiddenSize, cfg.Text.HiddenSize, true, gen));
        Linear2 = Child("linear_2", new Linear(cfg.Text.HiddenSize, cfg.Text.HiddenSize, true, gen));
    }

    /// <summary>(..., d_v) → (..., d).</summary>
    public Tensor Forward(Tensor x) => Linear2.Forward(_act.Apply(Linear1.Forward(x)));
}
