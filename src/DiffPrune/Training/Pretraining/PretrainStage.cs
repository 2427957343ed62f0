namespace DiffPrune.Training.Pretraining;

/// <summary>The three stages of the base VLM's pretraining, in order.</summary>
public enum PretrainStage
{
    /// <summary>Stage 0: the vision tower alone, on the generator's per-patch labels and the CLS objects-present target.</summary>
    Vision,
    /// <summary>Stage 1 (LLaVA's feature alignment): captions, vision tower frozen.</summary>
    Alignment,
    /// <summary>Stage 2 (LLaVA's instruction tuning): every suite's questions plus some captions, vision tower frozen.</summary>
    Instruction,
}
