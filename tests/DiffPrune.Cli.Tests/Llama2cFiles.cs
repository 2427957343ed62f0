using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;

namespace DiffPrune.Cli.Tests;

/// <summary>A tiny llama2.c checkpoint and tokenizer, written byte by byte as llama2.c's export lays them out.</summary>
public static class Llama2cFiles
{
    /// <summary>The shape written unless a test overrides a header field.</summary>
    public static LlamaConfig Shape { get; } = new()
    {
        VocabSize = Llama2cTokenizer.MinVocabSize + 8,
        HiddenSize = 8,
        IntermediateSize = 16,
        NumLayers = 1,
        NumHeads = 2,
        NumKvHeads = 2,
        MaxPositionEmbeddings = 256,
        TieWordEmbeddings = true,
    };

    /// <summary>Writes a tied checkpoint: the 7 header fields (<paramref name="vocabField"/> replaces vocab_size when given), then
    /// small weights; <paramref name="poison"/> (e.g. NaN) replaces the first weight of the final norm when given.</summary>
    public static void WriteModel(string path, int? vocabField = null, float? poison = null)
    {
        var c = Shape;
        using var w = new BinaryWriter(File.Create(path));
        foreach (int field in new[] { c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKvHeads, vocabField ?? c.VocabSize, c.MaxPositionEmbeddings })
            w.Write(field);
        long count = c.ParameterCount();
        for (long i = 0; i < count; i++)
            w.Write(poison is float p && i == count - c.HiddenSize ? p : (float)Math.Sin(i * 0.37) * 0.1f);
    }

    /// <summary>Writes a tokenizer of <paramref name="vocab"/> tokens: the specials, the 256 byte tokens, then letters;
    /// <paramref name="extra"/> replaces the last piece when given.</summary>
    public static void WriteTokenizer(string path, int vocab, string? extra = null)
    {
        var pieces = new List<string> { "<unk>", "<s>", "</s>" };
        pieces.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
        for (int i = 0; pieces.Count < vocab; i++) pieces.Add(((char)('a' + i % 26)).ToString() + (i >= 26 ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : ""));
        if (extra != null) pieces[^1] = extra;
        using var w = new BinaryWriter(File.Create(path));
        w.Write(16);
        foreach (var piece in pieces.Take(vocab))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(piece);
            w.Write(0f);
            w.Write(bytes.Length);
            w.Write(bytes);
        }
    }
}
