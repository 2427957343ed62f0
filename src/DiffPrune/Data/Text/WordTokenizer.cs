using System.Text;
using DiffPrune.Data.Scenes;

namespace DiffPrune.Data.Text;

/// <summary>
/// A closed-vocabulary word tokenizer for the synthetic default (SceneBench): text is lowercased (except single
/// capital letters, the option letters A, B, C, D), split at spaces, and every punctuation mark and every digit is a
/// token of its own. Ids: <c>&lt;pad&gt;</c> = 0, <c>&lt;bos&gt;</c> = 1, <c>&lt;eos&gt;</c> = 2,
/// <c>&lt;image&gt;</c> = 3 (LlavaConfig's default image token), <c>&lt;unk&gt;</c> = 4, then the option letters,
/// the digits, the punctuation and the words in ordinal order. A special token written in the text ("&lt;image&gt;")
/// encodes to its id.
/// </summary>
public sealed class WordTokenizer : ITokenizer
{
    /// <summary>The special tokens, at ids 0..4.</summary>
    public static IReadOnlyList<string> SpecialTokens { get; } = ["<pad>", "<bos>", "<eos>", "<image>", "<unk>"];

    /// <summary>Characters that are tokens of their own.</summary>
    public const string Punctuation = ".,?!:;()'\"-";

    readonly string[] _tokens;
    readonly Dictionary<string, int> _ids;

    /// <summary>Id of <c>&lt;pad&gt;</c>.</summary>
    public const int PadId = 0;
    /// <summary>Id of <c>&lt;image&gt;</c>.</summary>
    public const int ImageId = 3;
    /// <summary>Id of <c>&lt;unk&gt;</c>.</summary>
    public const int UnkId = 4;

    /// <inheritdoc/>
    public int VocabSize => _tokens.Length;
    /// <inheritdoc/>
    public int BosId => 1;
    /// <inheritdoc/>
    public int EosId => 2;

    /// <summary>Tokens by id.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    WordTokenizer(string[] tokens)
    {
        _tokens = tokens;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++)
            if (!_ids.TryAdd(tokens[i], i)) throw new ArgumentException($"token '{tokens[i]}' appears twice (ids {_ids[tokens[i]]} and {i})");
    }

    /// <summary>
    /// A tokenizer whose vocabulary is every token of <paramref name="texts"/> (after the special tokens, the letters
    /// A–D and the digits 0–9, which are always present).
    /// </summary>
    public static WordTokenizer FromTexts(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in texts) found.UnionWith(Split(text));
        string[] letters = ["A", "B", "C", "D"];
        string[] digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        var fixedTokens = SpecialTokens.Concat(letters).Concat(digits).ToArray();
        var punctuation = Punctuation.Select(c => c.ToString()).Where(found.Contains);
        var words = found.Except(fixedTokens).Except(Punctuation.Select(c => c.ToString())).Order(StringComparer.Ordinal);
        return new WordTokenizer([.. fixedTokens, .. punctuation, .. words]);
    }

    /// <summary>The tokenizer of everything SceneBench can emit (<see cref="SceneVocabulary.Texts"/>).</summary>
    public static WordTokenizer ForSceneBench() => FromTexts(SceneVocabulary.Texts());

    /// <summary>A tokenizer with exactly these tokens by id (as <see cref="Save"/> wrote them).</summary>
    /// <exception cref="ArgumentException">The special tokens are not at ids 0..4, or a token repeats or is blank.</exception>
    public static WordTokenizer FromTokens(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        for (int i = 0; i < SpecialTokens.Count; i++)
            if (tokens.Count <= i || tokens[i] != SpecialTokens[i])
                throw new ArgumentException($"token {i} must be {SpecialTokens[i]} (got {(tokens.Count <= i ? "nothing" : tokens[i])})");
        for (int i = 0; i < tokens.Count; i++)
            if (string.IsNullOrWhiteSpace(tokens[i]) || tokens[i].Any(char.IsWhiteSpace))
                throw new ArgumentException($"token {i} ('{tokens[i]}') is blank or holds whitespace");
        return new WordTokenizer(tokens.ToArray());
    }

    /// <summary>Writes the tokens, one per line in id order (UTF-8), atomically.</summary>
    public void Save(string path) => DiffPrune.Tensors.IO.AtomicFile.WriteAllText(path, string.Join('\n', _tokens) + "\n");

    /// <summary>Reads a vocabulary written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a vocabulary (names the file and the problem).</exception>
    public static WordTokenizer Load(string path)
    {
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        int count = lines.Length;
        while (count > 0 && lines[count - 1].Length == 0) count--;
        try
        {
            return FromTokens(lines[..count]);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnkId"/>.</summary>
    public int IdOf(string token) => _ids.TryGetValue(token, out int id) ? id : UnkId;

    /// <summary>Whether <paramref name="token"/> is in the vocabulary.</summary>
    public bool Contains(string token) => _ids.ContainsKey(token);

    /// <inheritdoc/>
    public int[] Encode(string text, bool bos = true, bool eos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (bos) ids.Add(BosId);
        foreach (var token in Split(text)) ids.Add(IdOf(token));
        if (eos) ids.Add(EosId);
        return ids.ToArray();
    }

    /// <inheritdoc/>
    /// <remarks>Drops &lt;pad&gt;, &lt;bos&gt;, &lt;eos&gt; and &lt;image&gt;; no space goes before <c>. , ? ! : ; )</c> or after <c>(</c>.</remarks>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Join(ids.Where(id =>
        {
            if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary of {_tokens.Length}");
            return id >= SpecialTokens.Count || id == UnkId;
        }).Select(id => _tokens[id]));
    }

    /// <summary>The canonical form of <paramref name="text"/>: what decoding its encoding gives when every token is known.</summary>
    public static string Normalize(string text) => Join(Split(text));

    static string Join(IEnumerable<string> tokens)
    {
        var sb = new StringBuilder();
        bool glue = true;                                   // no space before the next token
        foreach (var token in tokens)
        {
            bool closes = token.Length == 1 && ".,?!:;)".Contains(token[0]);
            if (!glue && !closes) sb.Append(' ');
            sb.Append(token);
            glue = token == "(";
        }
        return sb.ToString();
    }

    /// <summary>The tokens of <paramref name="text"/> (strings, before lookup).</summary>
    public static IEnumerable<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '<')
            {
                int end = text.IndexOf('>', i);
                if (end > i)
                {
                    var candidate = text[i..(end + 1)];
                    if (SpecialTokens.Contains(candidate)) { yield return candidate; i = end + 1; continue; }
                }
            }
            if (char.IsDigit(c) || !char.IsLetter(c)) { yield return c.ToString(); i++; continue; }
            int start = i;
            while (i < text.Length && char.IsLetter(text[i])) i++;
            var word = text[start..i];
            yield return word.Length == 1 && char.IsUpper(word[0]) ? word : word.ToLowerInvariant();
        }
    }
}
