using DiffPrune.Models.Llama;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// Next-token targets that train a VLM on answers only (LLaVA's instruction tuning): position p is trained to
/// predict the token at p + 1 when that token is part of the answer (text index ≥ the sample's answer start);
/// every other position, the prompt, the image and the padding, is ignored.
/// </summary>
public static class AnswerTargets
{
    /// <summary>Ignored positions carry this target (<see cref="Tensors.F.CrossEntropy"/>'s default ignore index).</summary>
    public const int Ignore = -100;

    /// <summary>
    /// Targets (B·T) for <paramref name="input"/> built by <see cref="LlavaModel.BuildInput"/> from
    /// <paramref name="textIds"/>; <paramref name="answerStart"/>[b] is the index in textIds[b] of the first answer
    /// token (the answer runs to the end, its EOS included). Feed the logits (B·T, V) and these to cross-entropy.
    /// </summary>
    /// <exception cref="ArgumentException">The input was not built with text indices, or sizes disagree.</exception>
    public static int[] Build(DecoderInput input, int[][] textIds, int[] answerStart) => Build(input, textIds, Masks(textIds, answerStart));

    /// <summary>Answer masks for single answers that run from <paramref name="answerStart"/>[b] to the end of textIds[b].</summary>
    /// <exception cref="ArgumentException">Sizes disagree or a start lies outside its text.</exception>
    public static bool[][] Masks(int[][] textIds, int[] answerStart)
    {
        if (answerStart.Length != textIds.Length)
            throw new ArgumentException($"{answerStart.Length} answer starts for a batch of {textIds.Length}");
        for (int i = 0; i < textIds.Length; i++)
            if (answerStart[i] < 1 || answerStart[i] > textIds[i].Length)
                throw new ArgumentException($"answer start {answerStart[i]} of sample {i} is outside its {textIds[i].Length} text tokens");
        return textIds.Select((ids, i) => ids.Select((_, j) => j >= answerStart[i]).ToArray()).ToArray();
    }

    /// <summary>
    /// Targets for several answers per sample (multi-turn): <paramref name="isAnswer"/>[b][j] marks the text tokens
    /// that are trained (each answer and its EOS); position p learns token p + 1 when that token is marked.
    /// </summary>
    /// <exception cref="ArgumentException">No text indices, sizes disagree, or a mask marks the first token (nothing precedes it).</exception>
    public static int[] Build(DecoderInput input, int[][] textIds, bool[][] isAnswer)
    {
        var index = input.TextIndex ?? throw new ArgumentException("decoder input has no text indices: build it with LlavaModel.BuildInput");
        int b = textIds.Length;
        if (isAnswer.Length != b || index.Length % Math.Max(b, 1) != 0)
            throw new ArgumentException($"{isAnswer.Length} answer masks and {index.Length} positions for a batch of {b}");
        int t = index.Length / Math.Max(b, 1);
        var targets = Enumerable.Repeat(Ignore, index.Length).ToArray();
        for (int i = 0; i < b; i++)
        {
            if (isAnswer[i].Length != textIds[i].Length || (isAnswer[i].Length > 0 && isAnswer[i][0]))
                throw new ArgumentException($"answer mask of sample {i} must cover its {textIds[i].Length} text tokens and leave the first one out");
            for (int p = 0; p + 1 < t; p++)
            {
                int next = index[i * t + p + 1];
                if (next >= 0 && isAnswer[i][next]) targets[i * t + p] = textIds[i][next];
            }
        }
        return targets;
    }
}
