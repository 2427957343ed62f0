using System.Text;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// How predictions are compared with answers: VQA-style normalisation for open answers and letter extraction for
/// multiple choice.
/// </summary>
public static class AnswerNormalizer
{
    static readonly string[] NumberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    /// <summary>
    /// Lowercase; punctuation becomes space; number words become digits; articles (a, an, the) are dropped; spaces
    /// collapse; digits separated only by spaces join into one number (the word tokenizer writes every digit as a
    /// token, so a model reads "37" back as "3 7"). "The Top-Left." → "top left"; "Three" → "3"; "3 7" → "37".
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (char c in text) sb.Append(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ');
        var words = sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w is not ("a" or "an" or "the"))
            .Select(w => Array.IndexOf(NumberWords, w) is int i and >= 0 ? i.ToString() : w);
        var joined = new List<string>();
        foreach (var w in words)
        {
            if (joined.Count > 0 && IsNumber(w) && IsNumber(joined[^1])) joined[^1] += w;
            else joined.Add(w);
        }
        return string.Join(' ', joined);
    }

    static bool IsNumber(string word) => word.All(char.IsAsciiDigit);

    /// <summary>Whether an open prediction matches the answer after <see cref="Normalize"/>.</summary>
    public static bool Matches(string prediction, string answer) => Normalize(prediction) == Normalize(answer);

    /// <summary>
    /// The option a multiple-choice prediction picks, or −1: a leading letter ("B", "b", "B.", "(B)", "B) red", "B red" but not "b red"), or
    /// else an option's text ("red", matched after <see cref="Normalize"/>).
    /// </summary>
    public static int Choice(string prediction, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(options);
        var p = prediction.Trim();
        if (p.StartsWith('(')) p = p[1..];
        if (p.Length > 0)
        {
            int letter = char.ToUpperInvariant(p[0]) - 'A';
            // "a red circle" is text, "A red circle" a letter
            bool alone = p.Length == 1 || p[1] is '.' or ')' or ':' or ',' || (p[1] == ' ' && char.IsUpper(p[0]));
            if (alone && letter >= 0 && letter < options.Count) return letter;
        }
        var normalized = Normalize(prediction);
        for (int i = 0; i < options.Count; i++)
            if (Normalize(options[i]) == normalized) return i;
        return -1;
    }

    /// <summary>Whether a yes/no prediction says yes (its first word, normalised, is "yes").</summary>
    public static bool IsYes(string prediction) => Normalize(prediction).Split(' ')[0] == "yes";

    /// <summary>Whether a yes/no prediction says no (its first word, normalised, is "no").</summary>
    public static bool IsNo(string prediction) => Normalize(prediction).Split(' ')[0] == "no";
}
