using System.Text;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Data.Text;

/// <summary>
/// llama2.c's BPE tokenizer (<c>tokenizer.bin</c>: int32 max token length, then per token float32 score,
/// int32 byte length, bytes). Encoding as llama2.c: a dummy-prefix space, one token per UTF-8 code point
/// (byte fallback id = byte + 3), then repeated merges of the adjacent pair with the highest-scoring merged token.
/// </summary>
public sealed class Llama2cTokenizer : ITokenizer
{
    readonly byte[][] _pieces;
    readonly float[] _scores;
    readonly Dictionary<string, int> _lookup;

    /// <inheritdoc/>
    public int VocabSize => _pieces.Length;
    /// <inheritdoc/>
    public int BosId => 1;
    /// <inheritdoc/>
    public int EosId => 2;

    Llama2cTokenizer(byte[][] pieces, float[] scores)
    {
        _pieces = pieces;
        _scores = scores;
        _lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < pieces.Length; i++) _lookup.TryAdd(Key(pieces[i]), i);
    }

    static string Key(byte[] bytes) => Convert.ToHexString(bytes);

    /// <summary>The special tokens (unk, bos, eos) and one token per byte: the least a vocabulary with byte fallback holds.</summary>
    public const int MinVocabSize = 3 + 256;

    /// <summary>Reads <paramref name="path"/> for a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">
    /// A folder, pipe or empty file; a vocabulary without room for the byte-fallback tokens; a file that ends early or
    /// holds impossible lengths (names the file and token).
    /// </exception>
    public static Llama2cTokenizer Load(string path, int vocabSize)
    {
        InputFile.CheckRegular(path, "llama2.c tokenizer (tokenizer.bin)");
        if (vocabSize < MinVocabSize)
            throw new InvalidDataException($"{path}: the model's vocabulary of {vocabSize} tokens has no room for llama2.c's byte fallback (ids 3..258): use the tokenizer and model of one llama2.c export");
        using var reader = new BinaryReader(File.OpenRead(path));
        // each token takes at least 8 bytes (score, length): a vocabulary larger than the file allows is refused before allocating
        if (4 + 8L * vocabSize > reader.BaseStream.Length)
            throw new InvalidDataException($"{path}: {reader.BaseStream.Length} bytes cannot hold {vocabSize} tokens (the model's vocab_size): use the tokenizer of this model");
        var pieces = new byte[vocabSize][];
        var scores = new float[vocabSize];
        try
        {
            reader.ReadInt32(); // max token length: not needed, pieces carry their lengths
            for (int i = 0; i < vocabSize; i++)
            {
                scores[i] = reader.ReadSingle();
                int len = reader.ReadInt32();
                if (len < 0 || len > 1024) throw new InvalidDataException($"{path}: token {i} has length {len}");
                pieces[i] = reader.ReadBytes(len);
                if (pieces[i].Length != len) throw new EndOfStreamException();
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: ends before all {vocabSize} tokens were read");
        }
        return new Llama2cTokenizer(pieces, scores);
    }

    /// <inheritdoc/>
    public int[] Encode(string text, bool bos = true, bool eos = false)
    {
        var tokens = new List<int>();
        if (bos) tokens.Add(BosId);
        if (text.Length > 0 && _lookup.TryGetValue(Key(" "u8.ToArray()), out int space)) tokens.Add(space);
        foreach (var rune in text.EnumerateRunes())
        {
            var bytes = new byte[rune.Utf8SequenceLength];
            rune.EncodeToUtf8(bytes);
            if (_lookup.TryGetValue(Key(bytes), out int id)) tokens.Add(id);
            else foreach (byte b in bytes) tokens.Add(b + 3);
        }
        int start = bos ? 1 : 0;
        var merged = Merge(tokens.Skip(start).ToArray());
        tokens.RemoveRange(start, tokens.Count - start);
        tokens.AddRange(merged);
        if (eos) tokens.Add(EosId);
        return tokens.ToArray();
    }

    /// <summary>
    /// llama2.c's merge rule: while any adjacent pair forms a known token, merge the pair whose token scores highest
    /// (the leftmost among equal scores). Candidate pairs wait in a priority queue over a linked list, and a pair whose
    /// sides have changed since it was queued is skipped when it comes up, so a prompt of n tokens takes O(n log n)
    /// instead of llama2.c's O(n²) rescans.
    /// </summary>
    int[] Merge(int[] ids)
    {
        int n = ids.Length;
        var next = new int[n];
        var prev = new int[n];
        var version = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        var alive = Enumerable.Repeat(true, n).ToArray();
        // highest score first, then the leftmost: the original position orders nodes as the list does
        var queue = new PriorityQueue<(int Left, int Right, int LeftVersion, int RightVersion, int Id), (float Score, int Left)>(
            Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));
        void Offer(int left)
        {
            int right = left < 0 ? -1 : next[left];
            if (right < 0) return;
            // llama2.c never picks a merge scored NaN or −∞ (its "score > best" starts from −∞)
            if (_lookup.TryGetValue(Key([.. _pieces[ids[left]], .. _pieces[ids[right]]]), out int id) && _scores[id] > float.NegativeInfinity)
                queue.Enqueue((left, right, version[left], version[right], id), (_scores[id], left));
        }
        for (int i = 0; i < n - 1; i++) Offer(i);
        while (queue.TryDequeue(out var pair, out _))
        {
            var (left, right, leftVersion, rightVersion, id) = pair;
            if (!alive[left] || !alive[right] || next[left] != right || version[left] != leftVersion || version[right] != rightVersion) continue;
            ids[left] = id;
            version[left]++;
            alive[right] = false;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            Offer(prev[left]);
            Offer(left);
        }
        var result = new List<int>(n);
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) result.Add(ids[i]);
        return result.ToArray();
    }

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        int previous = -1;
        foreach (int id in ids)
        {
            if (id == BosId || id == EosId) { previous = id; continue; }
            var piece = _pieces[id];
            // after BOS, llama2.c strips the dummy-prefix space
            if (previous == BosId && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
            var s = Encoding.ASCII.GetString(piece);
            if (IsByteToken(s, out byte raw)) bytes.Add(raw);
            else bytes.AddRange(piece);
            previous = id;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>A byte token "&lt;0xAB&gt;" stands for that byte; any other piece (e.g. "&lt;0xZZ&gt;") is literal text.</summary>
    static bool IsByteToken(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece.EndsWith('>')
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}
