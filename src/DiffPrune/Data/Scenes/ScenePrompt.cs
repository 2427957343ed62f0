using DiffPrune.Data.Text;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// The base VLM's text format on SceneBench, shared by training and evaluation:
/// <c>&lt;bos&gt; &lt;image&gt; prompt answer &lt;eos&gt;</c>. A caption is the answer to the empty prompt.
/// </summary>
public static class ScenePrompt
{
    /// <summary>What the model sees before it answers: BOS, the image token, the prompt.</summary>
    public static int[] PromptIds(WordTokenizer tokenizer, string prompt) =>
        [.. ImagePrefixIds(tokenizer), .. tokenizer.Encode(prompt, bos: false)];

    /// <summary>What every prompt starts with, BOS and the image token: a prefix several prompts about one image can share.</summary>
    public static int[] ImagePrefixIds(WordTokenizer tokenizer) => [tokenizer.BosId, WordTokenizer.ImageId];

    /// <summary>The full training sequence and the index of its first answer token (the answer runs to EOS).</summary>
    public static (int[] Ids, int AnswerStart) TrainingIds(WordTokenizer tokenizer, string prompt, string answer)
    {
        var head = PromptIds(tokenizer, prompt);
        return ([.. head, .. tokenizer.Encode(answer, bos: false, eos: true)], head.Length);
    }

    /// <summary>
    /// Several questions about one image packed into one training sequence:
    /// <c>&lt;bos&gt; &lt;image&gt; q1 a1 &lt;eos&gt; q2 a2 &lt;eos&gt; …</c>, with the mask of trained tokens (every answer and
    /// its EOS) and each token's segment (0 for BOS and the image, t for turn t). Turns do not see each other (see
    /// <c>LlavaModel.BuildInput</c>): each is trained exactly as the single question <see cref="PromptIds"/> gives at
    /// evaluation, while the image is encoded once for all of them.
    /// </summary>
    /// <exception cref="ArgumentException">No turns, or a turn after the first with an empty prompt (its first answer
    /// token would be predicted from the previous turn instead of the image).</exception>
    public static (int[] Ids, bool[] IsAnswer, int[] Segments) TrainingIds(WordTokenizer tokenizer, IReadOnlyList<(string Prompt, string Answer)> turns)
    {
        if (turns.Count == 0) throw new ArgumentException("a training sequence needs at least one (prompt, answer) turn", nameof(turns));
        for (int t = 1; t < turns.Count; t++)
            if (turns[t].Prompt.Length == 0)
                throw new ArgumentException($"turn {t + 1} has an empty prompt: only the first turn (e.g. a caption) may, since an answer must follow its own prompt or the image", nameof(turns));
        var ids = new List<int>(ImagePrefixIds(tokenizer));
        var mask = new List<bool> { false, false };
        var segments = new List<int> { 0, 0 };
        foreach (var (prompt, answer) in turns)
        {
            var q = tokenizer.Encode(prompt, bos: false);
            var a = tokenizer.Encode(answer, bos: false, eos: true);
            ids.AddRange(q);
            mask.AddRange(Enumerable.Repeat(false, q.Length));
            ids.AddRange(a);
            mask.AddRange(Enumerable.Repeat(true, a.Length));
            segments.AddRange(Enumerable.Repeat(segments.Count == 2 ? 1 : segments[^1] + 1, q.Length + a.Length));
        }
        return (ids.ToArray(), mask.ToArray(), segments.ToArray());
    }
}
