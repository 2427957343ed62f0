namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// Question templates with <c>{name}</c> slots. Every suite lists its templates, so the vocabulary of the word
/// tokenizer is read off them (<see cref="SceneVocabulary"/>) rather than collected from samples.
/// </summary>
internal static class Template
{
    /// <summary>Replaces each <c>{key}</c> by its value; <paramref name="slots"/> alternates keys and values.</summary>
    public static string Fill(string template, params string[] slots)
    {
        var text = template;
        for (int i = 0; i + 1 < slots.Length; i += 2) text = text.Replace("{" + slots[i] + "}", slots[i + 1], StringComparison.Ordinal);
        if (text.Contains('{')) throw new InvalidOperationException($"template '{template}' has an unfilled slot: '{text}'");
        return text;
    }

    /// <summary>The template's fixed words: the text with its slots removed.</summary>
    public static string FixedText(string template)
    {
        var sb = new System.Text.StringBuilder();
        bool inSlot = false;
        foreach (char c in template)
        {
            if (c == '{') { inSlot = true; sb.Append(' '); }
            else if (c == '}') inSlot = false;
            else if (!inSlot) sb.Append(c);
        }
        return sb.ToString();
    }
}
