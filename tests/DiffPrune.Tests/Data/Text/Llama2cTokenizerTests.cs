using System.Text;
using DiffPrune.Data.Text;

namespace DiffPrune.Tests.Data.Text;

public class Llama2cTokenizerTests
{
    // a vocabulary over "a", "b", " " with overlapping merges and tied scores, so that merge order matters
    static readonly (string Piece, float Score)[] Pieces =
    [
        ("a", 0), ("b", 0), (" ", 0), ("ab", 1), ("ba", 1), ("aa", 2), ("bb", 0.5f), (" a", 1), ("aba", 3), ("bab", 3),
        ("abab", 2), ("aab", 1), (" ab", 2), ("baba", 4), ("bbb", -1), ("aaaa", 2),
    ];

    static (Llama2cTokenizer Tokenizer, List<byte[]> Pieces, List<float> Scores) Build(TempDirectory dir)
    {
        var pieces = new List<byte[]> { "<unk>"u8.ToArray(), "<s>"u8.ToArray(), "</s>"u8.ToArray() };
        var scores = new List<float> { 0, 0, 0 };
        for (int b = 0; b < 256; b++) { pieces.Add(Encoding.ASCII.GetBytes($"<0x{b:X2}>")); scores.Add(0); }
        foreach (var (piece, score) in Pieces) { pieces.Add(Encoding.UTF8.GetBytes(piece)); scores.Add(score); }
        var path = dir.File("tok.bin");
        using (var w = new BinaryWriter(File.Create(path)))
        {
            w.Write(8);
            for (int i = 0; i < pieces.Count; i++) { w.Write(scores[i]); w.Write(pieces[i].Length); w.Write(pieces[i]); }
        }
        return (Llama2cTokenizer.Load(path, pieces.Count), pieces, scores);
    }

    /// <summary>llama2.c's own loop: rescan every adjacent pair, merge the best-scoring (leftmost on ties), repeat.</summary>
    static int[] ReferenceMerge(int[] start, List<byte[]> pieces, List<float> scores)
    {
        var lookup = new Dictionary<string, int>();
        for (int i = 0; i < pieces.Count; i++) lookup.TryAdd(Convert.ToHexString(pieces[i]), i);
        var tokens = start.ToList();
        while (true)
        {
            float best = float.NegativeInfinity;
            int bestId = -1, bestAt = -1;
            for (int i = 0; i < tokens.Count - 1; i++)
                if (lookup.TryGetValue(Convert.ToHexString([.. pieces[tokens[i]], .. pieces[tokens[i + 1]]]), out int id) && scores[id] > best)
                    (best, bestId, bestAt) = (scores[id], id, i);
            if (bestAt < 0) return tokens.ToArray();
            tokens[bestAt] = bestId;
            tokens.RemoveAt(bestAt + 1);
        }
    }

    [Fact]
    public void MergesExactlyAsLlama2csRescanningLoopOnRandomText()
    {
        using var dir = new TempDirectory();
        var (tokenizer, pieces, scores) = Build(dir);
        var random = new Random(5);
        for (int trial = 0; trial < 300; trial++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 40)).Select(_ => "ab "[random.Next(3)]).ToArray());
            // the unmerged sequence: the dummy-prefix space, then one token per character
            var chars = (text.Length > 0 ? " " + text : "").Select(c => pieces.FindIndex(p => p.Length == 1 && p[0] == (byte)c)).ToArray();
            var expected = ReferenceMerge(chars, pieces, scores);
            Assert.Equal(expected, tokenizer.Encode(text, bos: false));
            Assert.Equal([1, .. expected, 2], tokenizer.Encode(text, bos: true, eos: true));
        }
    }
}
