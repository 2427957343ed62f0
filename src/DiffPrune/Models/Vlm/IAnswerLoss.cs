using DiffPrune.Tensors;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// A frozen VLM as DiffPrune's training sees it: the teacher-forced answer NLL of texts about visual tokens given in the
/// space its pre-LLM methods act on (LLaVA: vision features, before its projector; Qwen2.5-VL: merged tokens, already in
/// the language model's space). Each token goes where its patch index says, so that pruned or padded batches
/// (<see cref="VisualTokens.CountOf"/>) place every image as it is placed alone.
/// </summary>
public interface IAnswerLoss
{
    /// <summary>
    /// Answer-token NLL of <paramref name="textIds"/> about <paramref name="tokens"/> (differentiable in their features),
    /// <paramref name="isAnswer"/> marking the scored text tokens (<see cref="AnswerTargets"/>); also the flattened logits
    /// (B·T, V) and targets.
    /// </summary>
    /// <exception cref="ArgumentException">Tokens, texts or masks that do not fit the model (named).</exception>
    (Tensor Loss, Tensor Logits, int[] Targets) AnswerLoss(VisualTokens tokens, int[][] textIds, bool[][] isAnswer);
}
