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
}
