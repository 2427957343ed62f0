using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using DiffPrune.Data.Images;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using DiffPrune.Tests.Data;
using DiffPrune.Tests.Models;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace DiffPrune.Tests.Hostile;

/// <summary>
/// Seeded mutation fuzzing of every file format the project reads: valid files are mutated (bytes, and for JSON and
/// compressed payloads also structure-preserving edits that reach past the parser), and each mutant must either load or
/// fail with a documented exception (<see cref="InvalidDataException"/>, <see cref="ResourceLimitException"/>; for
/// safetensors also <see cref="NotSupportedException"/> for an unreadable dtype), never anything else and never
/// allocating 1 GB. The counts, the outcomes and the largest allocation are printed.
/// </summary>
public sealed class MutationFuzzTests(ITestOutputHelper output)
{
    const long MemoryCap = 1L << 30;
    const ulong Seed = 20261203;

    sealed class Tally
    {
        public readonly SortedDictionary<string, SortedDictionary<string, int>> Outcomes = new(StringComparer.Ordinal);
        public readonly List<string> Failures = [];
        public long LargestAllocation;
        public string LargestCase = "";
        public int Cases;

        public void Run(string format, int index, string mutation, Action load, bool notSupportedIsDocumented = false)
        {
            Cases++;
            long before = GC.GetAllocatedBytesForCurrentThread();
            string outcome;
            try
            {
                load();
                outcome = "loaded";
            }
            catch (Exception e) when (e is InvalidDataException or ResourceLimitException || notSupportedIsDocumented && e is NotSupportedException)
            {
                outcome = e.GetType().Name;
            }
            catch (Exception e)
            {
                outcome = "UNDOCUMENTED " + e.GetType().Name;
                Failures.Add($"{format} #{index} [{mutation}]: {e}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > LargestAllocation) (LargestAllocation, LargestCase) = (allocated, $"{format} #{index} [{mutation}]");
            if (allocated > MemoryCap) Failures.Add($"{format} #{index} [{mutation}]: allocated {allocated:N0} bytes");
            var byOutcome = Outcomes.TryGetValue(format, out var o) ? o : Outcomes[format] = new(StringComparer.Ordinal);
            byOutcome[outcome] = byOutcome.GetValueOrDefault(outcome) + 1;
        }
    }

    static T[] Sample<T>(Gen<T> gen, ulong seed, int count)
    {
        var samples = Gen.Sample(gen, count, new Rnd(seed), 30).ToArray();
        Assert.Equal(count, samples.Length);
        return samples;
    }

    static string Describe<T>(IEnumerable<T> mutations) => string.Join(", ", mutations);

    [Fact]
    public void EveryMutantLoadsOrFailsWithADocumentedExceptionWithinTheMemoryCap()
    {
        using var dir = new TempDirectory();
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        FuzzSafeTensors(dir, tally, 1_300, 700);
        FuzzPng(dir, tally, 900, 500, 500);
        FuzzLlama2cModel(dir, tally, 1_500);
        FuzzLlama2cTokenizer(dir, tally, 1_500);
        FuzzIdx(dir, tally, 900, 600);
        FuzzConfigJson(dir, tally, 1_000, 500);
        FuzzPrunerJson(dir, tally, 700, 300);
        clock.Stop();

        foreach (var (format, outcomes) in tally.Outcomes)
            output.WriteLine($"{format,-18} {outcomes.Values.Sum(),6} mutants: {string.Join(", ", outcomes.Select(kv => $"{kv.Key} {kv.Value}"))}");
        output.WriteLine($"total {tally.Cases:N0} mutants in {clock.Elapsed.TotalSeconds:F1} s; largest allocation of one mutant {tally.LargestAllocation:N0} bytes ({tally.LargestCase}); " +
            $"peak working set of the test process {Process.GetCurrentProcess().PeakWorkingSet64:N0} bytes");
        Assert.True(tally.Failures.Count == 0, $"{tally.Failures.Count} mutants failed:\n" + string.Join("\n", tally.Failures.Take(10)));
        Assert.True(tally.Cases >= 10_000, $"only {tally.Cases} mutants");
        Assert.True(tally.LargestAllocation < MemoryCap);
    }

    // ---- safetensors: a scorer's weights, mutated as bytes and through their JSON header ----

    static void FuzzSafeTensors(TempDirectory dir, Tally tally, int byteCases, int headerCases)
    {
        string path = dir.File("fuzz.safetensors");
        var scorer = new TokenScorer(16, new Generator(1), heads: 2, layers: 1);
        scorer.SaveSafeTensors(path);
        var seed = File.ReadAllBytes(path);
        void Load(byte[] bytes)
        {
            File.WriteAllBytes(path, bytes);
            using (var file = SafeTensorsFile.Open(path))
                foreach (var name in file.Names) file.Read(name);
            new TokenScorer(16, new Generator(0), heads: 2, layers: 1).LoadSafeTensors(path);
        }
        var byteMutants = Sample(Mutation.Several, Seed, byteCases);
        for (int i = 0; i < byteCases; i++)
        {
            var m = byteMutants[i];
            tally.Run("safetensors", i, Describe(m), () => Load(Mutation.Apply(seed, m)), notSupportedIsDocumented: true);
        }
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(seed);
        string header = Encoding.UTF8.GetString(seed, 8, n);
        var data = seed[(8 + n)..];
        var headerMutants = Sample(JsonMutation.Several, Seed + 1, headerCases);
        for (int i = 0; i < headerCases; i++)
        {
            var m = headerMutants[i];
            tally.Run("safetensors json", i, Describe(m), () =>
            {
                var json = Encoding.UTF8.GetBytes(JsonMutation.Apply(header, m));
                var prefix = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)json.Length);
                Load([.. prefix, .. json, .. data]);
            }, notSupportedIsDocumented: true);
        }
    }

    // ---- PNG: several colour types; raw bytes, bytes with CRCs repaired, and pixel data re-deflated ----

    static byte[][] PngSeeds()
    {
        var random = new Random(7);
        byte[] Bytes(int n) { var b = new byte[n]; random.NextBytes(b); return b; }
        var palette = PngChunks.Build(3, 2, 8, 3, 0, [0, 0, 1, 2, 0, 2, 1, 0], [("PLTE", Bytes(9)), ("tRNS", Bytes(2))]);
        return
        [
            PngEncoder.Encode(new RgbImage(12, 10, Bytes(360))),
            PngEncoder.Encode(new RgbaImage(7, 9, Bytes(252), hasAlpha: true)),
            PngEncoder.EncodeGray(9, 5, Bytes(45)),
            palette,
            PngChunks.Build(2, 2, 16, 2, 0, [0, .. Bytes(12), 0, .. Bytes(12)]),
        ];
    }

    static void FuzzPng(TempDirectory dir, Tally tally, int rawCases, int crcCases, int pixelCases)
    {
        string path = dir.File("fuzz.png");
        var seeds = PngSeeds();
        void Load(byte[] bytes)
        {
            File.WriteAllBytes(path, bytes);
            var image = PngDecoder.Decode(path);
            ImageTensors.Preprocess(image, 8, ImageNormalization.Clip);
        }
        var mutants = Sample(Mutation.Several, Seed + 2, rawCases + crcCases + pixelCases);
        for (int i = 0; i < mutants.Length; i++)
        {
            var m = mutants[i];
            var seed = seeds[i % seeds.Length];
            if (i < rawCases) tally.Run("png", i, Describe(m), () => Load(Mutation.Apply(seed, m)));
            else if (i < rawCases + crcCases) tally.Run("png crc-repaired", i, Describe(m), () => Load(RepairCrcs(Mutation.Apply(seed, m))));
            else tally.Run("png pixel data", i, Describe(m), () => Load(MutatePixels(seed, m)));
        }
    }

    /// <summary>Recomputes every chunk's CRC that lies within the file, so that mutations reach past the CRC check.</summary>
    static byte[] RepairCrcs(byte[] png)
    {
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (length > png.Length - pos - 12) break;
            uint crc = Crc32.Compute(png.AsSpan(pos + 4, 4 + (int)length));
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(pos + 8 + (int)length), crc);
            pos += 12 + (int)length;
        }
        return png;
    }

    /// <summary>Inflates the image data, mutates it (filter bytes, scanlines, length) and deflates it again.</summary>
    static byte[] MutatePixels(byte[] png, Mutation[] mutations)
    {
        var chunks = PngChunks.Split(png);
        var idat = chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress)) z.CopyTo(inflated);
        var raw = Mutation.Apply(inflated.ToArray(), mutations);
        int first = chunks.FindIndex(c => c.Type == "IDAT");
        var rebuilt = chunks.Take(first).Append(("IDAT", PngChunks.Deflate(raw))).Concat(chunks.Skip(first).Where(c => c.Type != "IDAT"));
        return PngChunks.Join(rebuilt);
    }

    // ---- llama2.c checkpoint and tokenizer ----

    static readonly LlamaConfig TinyLlama = new() { VocabSize = 300, HiddenSize = 8, IntermediateSize = 12, NumLayers = 2, NumHeads = 2, NumKvHeads = 1, MaxPositionEmbeddings = 16 };

    static byte[] Llama2cSeed()
    {
        var c = TinyLlama;
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            foreach (int f in new[] { c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.VocabSize, c.MaxPositionEmbeddings }) w.Write(f);
            for (long i = 0; i < c.ParameterCount(); i++) w.Write(MathF.Sin(i) * 0.1f);
        }
        return stream.ToArray();
    }

    static void FuzzLlama2cModel(TempDirectory dir, Tally tally, int cases)
    {
        string path = dir.File("fuzz.bin");
        var seed = Llama2cSeed();
        var mutants = Sample(Mutation.Several, Seed + 3, cases);
        for (int i = 0; i < cases; i++)
        {
            var m = mutants[i];
            tally.Run("llama2.c model", i, Describe(m), () =>
            {
                File.WriteAllBytes(path, Mutation.Apply(seed, m));
                Llama2cCheckpoint.Load(path);
            });
        }
    }

    static byte[] TokenizerSeed(int vocab)
    {
        var pieces = new List<string> { "<unk>", "<s>", "</s>" };
        pieces.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
        string[] words = [" ", "a", "b", "e", "h", "l", "o", "w", "r", "d", " h", "he", "ll", "lo", " w", "or", "ld", "hel", "llo", " wor", "ld!", "!", "<0xZZ>"];
        for (int i = 0; pieces.Count < vocab; i++) pieces.Add(i < words.Length ? words[i] : $"t{i}");
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(8);
            for (int i = 0; i < pieces.Count; i++)
            {
                var bytes = Encoding.UTF8.GetBytes(pieces[i]);
                w.Write(i * 0.25f - 10);
                w.Write(bytes.Length);
                w.Write(bytes);
            }
        }
        return stream.ToArray();
    }

    static void FuzzLlama2cTokenizer(TempDirectory dir, Tally tally, int cases)
    {
        string path = dir.File("fuzz-tokenizer.bin");
        int vocab = TinyLlama.VocabSize;
        var seed = TokenizerSeed(vocab);
        var mutants = Sample(Mutation.Several, Seed + 4, cases);
        for (int i = 0; i < cases; i++)
        {
            var m = mutants[i];
            tally.Run("llama2.c tokenizer", i, Describe(m), () =>
            {
                File.WriteAllBytes(path, Mutation.Apply(seed, m));
                var tokenizer = Llama2cTokenizer.Load(path, vocab);
                var ids = tokenizer.Encode("hello world! <0xZZ> ünïcödé ✓", bos: true, eos: true);
                tokenizer.Decode(ids);
                tokenizer.Decode(Enumerable.Range(0, vocab));
            });
        }
    }

    // ---- IDX: gzip'd and plain files, mutated as bytes and (gzip) under the compression ----

    static byte[] Idx(uint magic, int[] sizes, int count, bool gzip)
    {
        var raw = new MemoryStream();
        var word = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, magic);
        raw.Write(word);
        foreach (int s in sizes) { BinaryPrimitives.WriteInt32BigEndian(word, s); raw.Write(word); }
        raw.Write(Enumerable.Range(0, count).Select(i => (byte)(i * 37 % 10)).ToArray());
        return gzip ? Gzip(raw.ToArray()) : raw.ToArray();
    }

    static byte[] Gzip(byte[] raw)
    {
        var packed = new MemoryStream();
        using (var z = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        return packed.ToArray();
    }

    static byte[] Gunzip(byte[] packed)
    {
        using var raw = new MemoryStream();
        using (var z = new GZipStream(new MemoryStream(packed), CompressionMode.Decompress)) z.CopyTo(raw);
        return raw.ToArray();
    }

    static void FuzzIdx(TempDirectory dir, Tally tally, int byteCases, int innerCases)
    {
        string path = dir.File("fuzz-idx");
        (byte[] Bytes, bool Images, bool Gzip)[] seeds =
        [
            (Idx(IdxFile.ImagesMagic, [3, 4, 5], 60, gzip: true), true, true),
            (Idx(IdxFile.ImagesMagic, [3, 4, 5], 60, gzip: false), true, false),
            (Idx(IdxFile.LabelsMagic, [6], 6, gzip: true), false, true),
            (Idx(IdxFile.LabelsMagic, [6], 6, gzip: false), false, false),
        ];
        void Load(byte[] bytes, bool images)
        {
            File.WriteAllBytes(path, bytes);
            if (images) IdxFile.ReadImages(path);
            else IdxFile.ReadLabels(path);
        }
        var mutants = Sample(Mutation.Several, Seed + 5, byteCases + innerCases);
        for (int i = 0; i < mutants.Length; i++)
        {
            var m = mutants[i];
            var (seed, images, gzip) = seeds[i % seeds.Length];
            if (i < byteCases) tally.Run("idx", i, Describe(m), () => Load(Mutation.Apply(seed, m), images));
            else
            {
                var inner = gzip ? Gunzip(seed) : seed;
                tally.Run("idx under gzip", i, Describe(m), () => Load(Gzip(Mutation.Apply(inner, m)), images));
            }
        }
    }

    // ---- config.json of a model folder, and pruner.json of a pruner folder ----

    static void FuzzConfigJson(TempDirectory dir, Tally tally, int structuralCases, int byteCases)
    {
        string folder = dir.File("fuzz-model");
        HfCheckpoint.Save(new LlavaModel(TinyModels.Llava(), new Generator(2)), folder);
        string config = Path.Combine(folder, "config.json");
        string seed = File.ReadAllText(config);
        void Load(string text)
        {
            File.WriteAllText(config, text);
            HfCheckpoint.LoadLlava(folder);
        }
        var structural = Sample(JsonMutation.Several, Seed + 6, structuralCases);
        for (int i = 0; i < structuralCases; i++)
        {
            var m = structural[i];
            tally.Run("config.json", i, Describe(m), () => Load(JsonMutation.Apply(seed, m)));
        }
        var bytes = Sample(Mutation.Several, Seed + 7, byteCases);
        for (int i = 0; i < byteCases; i++)
        {
            var m = bytes[i];
            tally.Run("config.json bytes", i, Describe(m), () => Load(Encoding.UTF8.GetString(Mutation.Apply(Encoding.UTF8.GetBytes(seed), m))));
        }
    }

    static void FuzzPrunerJson(TempDirectory dir, Tally tally, int structuralCases, int byteCases)
    {
        string folder = dir.File("fuzz-pruner");
        new TokenPruner(new TokenScorer(16, new Generator(3), heads: 2), new TokenPrunerConfig(16, 2, 2, 4, Threshold: new CalibratedThreshold(0.25, 4, 32))).Save(folder);
        string config = Path.Combine(folder, "pruner.json");
        string seed = File.ReadAllText(config);
        void Load(string text)
        {
            File.WriteAllText(config, text);
            TokenPruner.Load(folder);
        }
        var structural = Sample(JsonMutation.Several, Seed + 8, structuralCases);
        for (int i = 0; i < structuralCases; i++)
        {
            var m = structural[i];
            tally.Run("pruner.json", i, Describe(m), () => Load(JsonMutation.Apply(seed, m)));
        }
        var bytes = Sample(Mutation.Several, Seed + 9, byteCases);
        for (int i = 0; i < byteCases; i++)
        {
            var m = bytes[i];
            tally.Run("pruner.json bytes", i, Describe(m), () => Load(Encoding.UTF8.GetString(Mutation.Apply(Encoding.UTF8.GetBytes(seed), m))));
        }
    }
}
