using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Tensors.Tests.IO;

public class SafeTensorsRoundTripTests
{
    static readonly int[][] Shapes = [[], [0], [1], [7], [3, 5], [2, 0, 3], [2, 3, 4], [2, 1, 3, 2], [1, 1, 1, 1, 5]];

    static Tensor Filled(Generator gen, int[] shape, string name)
    {
        var t = Tensor.Randn(gen, shape);
        t.Name = name;
        return t;
    }

    [Fact]
    public void EveryShapeRoundTripsBitExactly()
    {
        using var dir = new TempDir();
        var gen = new Generator(11);
        var tensors = new Dictionary<string, Tensor>();
        for (int i = 0; i < Shapes.Length; i++) tensors[$"t{i}"] = Filled(gen, Shapes[i], $"t{i}");
        // values a lossy writer would get wrong: signed zero, subnormals, extremes, infinities, a NaN with payload
        tensors["special"] = Tensor.FromArray(
            [-0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity,
             BitConverter.Int32BitsToSingle(0x7FC01234), 1e-38f, 0.1f], 10);
        var path = dir.File("shapes.safetensors");

        SafeTensors.Save(path, tensors);
        var back = SafeTensors.Load(path);

        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), back.Keys);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.Shape, back[name].Shape);
            Assert.Equal(name, back[name].Name);
            Assert.Equal(SafeTensorsTestFiles.Bits(t.Data), SafeTensorsTestFiles.Bits(back[name].Data));
        }
        using var file = SafeTensorsFile.Open(path);
        Assert.All(file.Names, n => Assert.Equal(SafeTensorsDType.F32, file.DTypeOf(n)));
        Assert.Equal(Array.Empty<int>(), file.ShapeOf("t0"));
        Assert.Equal(new[] { 2, 0, 3 }, file.ShapeOf("t5"));
    }

    [Fact]
    public void ManyTensorsRoundTripInOrdinalKeyOrder()
    {
        using var dir = new TempDir();
        var gen = new Generator(12);
        var tensors = new Dictionary<string, Tensor>();
        // dotted HF-style names whose ordinal order differs from insertion and from numeric order
        for (int i = 0; i < 300; i++)
        {
            int[] shape = [1 + gen.NextInt(4), 1 + gen.NextInt(9)];
            string name = $"model.layers.{(i * 37) % 300}.{(i % 3 == 0 ? "mlp" : "self_attn")}.{(i % 2 == 0 ? "weight" : "Bias")}";
            tensors[name] = Filled(gen, shape, name);
        }
        var path = dir.File("many.safetensors");

        SafeTensors.Save(path, tensors);
        var back = SafeTensors.Load(path);

        var sorted = tensors.Keys.ToList();
        sorted.Sort(StringComparer.Ordinal);
        Assert.Equal(sorted, back.Keys);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.Shape, back[name].Shape);
            Assert.Equal(SafeTensorsTestFiles.Bits(t.Data), SafeTensorsTestFiles.Bits(back[name].Data));
        }
    }

    [Fact]
    public void MetadataRoundTripsIncludingCharactersJsonMustEscape()
    {
        using var dir = new TempDir();
        var path = dir.File("meta.safetensors");
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["note"] = "quote \" backslash \\ newline \n tab \t <tag> & ü € 😀 \u0001",
            ["empty"] = "",
        };

        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) }, metadata);

        Assert.Equal(metadata.OrderBy(p => p.Key, StringComparer.Ordinal), SafeTensors.ReadMetadata(path).OrderBy(p => p.Key, StringComparer.Ordinal));
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(metadata["note"], file.Metadata["note"]);
    }

    [Fact]
    public void FileWithoutMetadataHasEmptyMetadata()
    {
        using var dir = new TempDir();
        var path = dir.File("nometa.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) });
        Assert.Empty(SafeTensors.ReadMetadata(path));
        Assert.DoesNotContain("__metadata__", Encoding.UTF8.GetString(File.ReadAllBytes(path)));
    }

    [Fact]
    public void EmptyDictionaryRoundTrips()
    {
        using var dir = new TempDir();
        var path = dir.File("empty.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>());
        Assert.Empty(SafeTensors.Load(path));
        Assert.Equal(16, new FileInfo(path).Length); // length prefix + "{}" padded to 8
    }

    [Fact]
    public void WriterProducesTheReferenceByteLayout()
    {
        using var dir = new TempDir();
        var path = dir.File("layout.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["b"] = Tensor.FromArray([1f, 2f], 2),
            ["a"] = Tensor.FromArray([-3f], 1, 1),
        }, new Dictionary<string, string> { ["k"] = "v" });

        // what the reference writer emits for the same input: metadata first, keys sorted, offsets back to back,
        // header padded with spaces to a multiple of 8 bytes
        string json = "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]},"
                    + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        string padded = json.PadRight((json.Length + 7) / 8 * 8);
        var expected = new List<byte>();
        expected.AddRange(BitConverter.GetBytes((ulong)padded.Length));
        expected.AddRange(Encoding.UTF8.GetBytes(padded));
        foreach (float v in new[] { -3f, 1f, 2f }) expected.AddRange(BitConverter.GetBytes(v));

        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void HeaderIsPaddedSoTheDataStartsOnAnEightByteBoundary()
    {
        using var dir = new TempDir();
        var gen = new Generator(13);
        for (int n = 1; n <= 12; n++) // names of growing length move the unpadded header end through every residue mod 8
        {
            var path = dir.File($"pad{n}.safetensors");
            SafeTensors.Save(path, new Dictionary<string, Tensor> { [new string('x', n)] = Filled(gen, [3], "x") });
            var bytes = File.ReadAllBytes(path);
            long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Assert.Equal(0, headerLength % 8);
            string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
            string json = header.TrimEnd(' ');
            Assert.EndsWith("}", json);
            Assert.InRange(header.Length - json.Length, 0, 7); // only the padding follows the JSON
            using var doc = JsonDocument.Parse(header);
            Assert.Equal(8 + headerLength + 12, bytes.Length);
        }
    }

    [Fact]
    public void SaveRejectsAReservedNameAndNullTensors()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.safetensors");
        var e1 = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }));
        Assert.Contains("__metadata__", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = null! }));
        Assert.Contains("'w'", e2.Message);
        Assert.Empty(dir.Listing());
    }

    [UnixFact("Windows refuses to replace a mapped file")]
    public void SavedFileCanReplaceOneThatIsOpenForReading()
    {
        using var dir = new TempDir();
        var path = dir.File("ckpt.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray([1f, 2f], 2) });
        using var old = SafeTensorsFile.Open(path);

        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray([3f, 4f, 5f], 3) });

        Assert.Equal([1f, 2f], old.Read("w").ToArray()); // the reader keeps the version it opened
        Assert.Equal([3f, 4f, 5f], SafeTensors.Load(path)["w"].ToArray());
    }
}
