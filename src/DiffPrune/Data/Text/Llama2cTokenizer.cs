using System.Text;

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

    /// <summary>Reads <paramref name="path"/> for a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    /// <exception cref="InvalidDataException">The file ends early or holds impossible lengths (names the file and token).</exception>
    public static Llama2cTokenizer Load(string path, int vocabSize)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
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
        while (true)
        {
            float best = float.NegativeInfinity;
            int bestId = -1, bestAt = -1;
            for (int i = start; i < tokens.Count - 1; i++)
            {
                var merged = _pieces[tokens[i]].Concat(_pieces[tokens[i + 1]]).ToArray();
                if (_lookup.TryGetValue(Key(merged), out int id) && _scores[id] > best)
                {
                    best = _scores[id]; bestId = id; bestAt = i;
                }
            }
            if (bestAt < 0) break;
            tokens[bestAt] = bestId;
            tokens.RemoveAt(bestAt + 1);
        }
        if (eos) tokens.Add(EosId);
        return tokens.ToArray();
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
            if (s.Length == 6 && s.StartsWith("<0x", StringComparison.Ordinal) && s.EndsWith('>')) bytes.Add(Convert.ToByte(s.Substring(3, 2), 16));
            else bytes.AddRange(piece);
            previous = id;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
