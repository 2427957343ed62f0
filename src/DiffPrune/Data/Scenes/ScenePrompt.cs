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
        [tokenizer.BosId, WordTokenizer.ImageId, .. tokenizer.Encode(prompt, bos: false)];

    /// <summary>The full training sequence and the index of its first answer token (the answer runs to EOS).</summary>
    public static (int[] Ids, int AnswerStart) TrainingIds(WordTokenizer tokenizer, string prompt, string answer)
    {
        var head = PromptIds(tokenizer, prompt);
        return ([.. head, .. tokenizer.Encode(answer, bos: false, eos: true)], head.Length);
    }

    /// <summary>
    /// A multi-turn training sequence about one image, as LLaVA's instruction data:
    /// <c>&lt;bos&gt; &lt;image&gt; q1 a1 &lt;eos&gt; q2 a2 &lt;eos&gt; …</c>, with the mask of trained tokens (every answer and its EOS).
    /// The first turn is exactly what <see cref="PromptIds"/> gives at evaluation.
    /// </summary>
    /// <exception cref="ArgumentException">No turns.</exception>
    public static (int[] Ids, bool[] IsAnswer) TrainingIds(WordTokenizer tokenizer, IReadOnlyList<(string Prompt, string Answer)> turns)
    {
        if (turns.Count == 0) throw new ArgumentException("a training sequence needs at least one (prompt, answer) turn", nameof(turns));
        var ids = new List<int> { tokenizer.BosId, WordTokenizer.ImageId };
        var mask = new List<bool> { false, false };
        foreach (var (prompt, answer) in turns)
        {
            var q = tokenizer.Encode(prompt, bos: false);
            var a = tokenizer.Encode(answer, bos: false, eos: true);
            ids.AddRange(q);
            mask.AddRange(Enumerable.Repeat(false, q.Length));
            ids.AddRange(a);
            mask.AddRange(Enumerable.Repeat(true, a.Length));
        }
        return (ids.ToArray(), mask.ToArray());
    }
}
