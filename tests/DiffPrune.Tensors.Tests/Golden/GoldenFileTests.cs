namespace DiffPrune.Tensors.Tests.Golden;

/// <summary>The fixture reader: round trip, and a clear error for every kind of damage.</summary>
public sealed class GoldenFileTests
{
    static readonly GoldenTensor[] Sample =
    [
        new("x", [2, 3], [1f, -2f, 3.5f, float.Epsilon, -0f, 1e30f]),
        new("scalar", [], [42f]),
        new("empty", [0, 4], []),
        new("grad.self_attn.q_proj.weight", [1, 1, 2], [0.25f, -0.125f]),
    ];

    [Fact]
    public void RoundTrips()
    {
        var f = GoldenFile.Parse(GoldenFile.Write(Sample), "memory");
        Assert.Equal(Sample.Select(t => t.Name), f.Names);
        foreach (var t in Sample)
        {
            Assert.Equal(t.Shape, f[t.Name].Shape);
            Assert.Equal(t.Data, f[t.Name].Data);
        }
        Assert.Equal(Sample[0].Data, f.Tensor("x").ToArray());
        Assert.Equal([2, 3], f.Tensor("x").Shape);
    }

    [Fact]
    public void HeaderLayoutIsTheDocumentedOne()
    {
        var bytes = GoldenFile.Write([new GoldenTensor("ab", [2], [1f, 2f])]);
        byte[] expected =
        [
            (byte)'D', (byte)'P', (byte)'G', (byte)'F', 1, 0, 0, 0, 1, 0, 0, 0,   // magic, version 1, count 1
            2, 0, 0, 0, (byte)'a', (byte)'b', 1, 0, 0, 0, 2, 0, 0, 0,             // name length, name, rank, dims
            0, 0, 0x80, 0x3F, 0, 0, 0, 0x40,                                       // 1f, 2f
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void RejectsBadMagic()
    {
        var bytes = GoldenFile.Write(Sample);
        bytes[0] = (byte)'X';
        var e = Assert.Throws<InvalidDataException>(() => GoldenFile.Parse(bytes, "bad.bin"));
        Assert.Contains("bad.bin", e.Message);
        Assert.Contains("bad magic", e.Message);
        Assert.Contains("empty file", Assert.Throws<InvalidDataException>(() => GoldenFile.Parse([], "e.bin")).Message);
    }

    [Fact]
    public void RejectsOtherVersions()
    {
        var bytes = GoldenFile.Write(Sample);
        bytes[4] = 2;
        var e = Assert.Throws<InvalidDataException>(() => GoldenFile.Parse(bytes, "v2.bin"));
        Assert.Contains("unsupported version 2", e.Message);
    }

    [Fact]
    public void RejectsEveryTruncation()
    {
        var bytes = GoldenFile.Write(Sample);
        for (int n = 0; n < bytes.Length; n++)
        {
            var e = Assert.Throws<InvalidDataException>(() => GoldenFile.Parse(bytes.AsSpan(0, n), "cut.bin"));
            Assert.Contains("cut.bin", e.Message);
            if (n >= 4) Assert.Contains("truncated", e.Message);
        }
    }

    [Fact]
    public void RejectsTrailingBytesDuplicatesAndCorruptFields()
    {
        var good = GoldenFile.Write(Sample);
        Assert.Contains("trailing", Assert.Throws<InvalidDataException>(() => GoldenFile.Parse([.. good, 0], "t.bin")).Message);

        var dup = GoldenFile.Write([Sample[0], Sample[0]]);
        Assert.Contains("duplicate tensor name 'x'", Assert.Throws<InvalidDataException>(() => GoldenFile.Parse(dup, "d.bin")).Message);

        var negRank = GoldenFile.Write([Sample[0]]);
        negRank[12 + 4 + 1] = 0xFF; negRank[12 + 4 + 1 + 1] = 0xFF; negRank[12 + 4 + 1 + 2] = 0xFF; negRank[12 + 4 + 1 + 3] = 0xFF; // rank −1
        var e = Assert.Throws<InvalidDataException>(() => GoldenFile.Parse(negRank, "r.bin"));
        Assert.Contains("rank -1", e.Message);
        Assert.Contains("'x'", e.Message);

        var hugeDim = GoldenFile.Write([Sample[0]]);
        hugeDim[12 + 4 + 1 + 4 + 3] = 0x10; // first dim 2 + 0x10000000
        Assert.Contains("more data than the whole file", Assert.Throws<InvalidDataException>(() => GoldenFile.Parse(hugeDim, "h.bin")).Message);
    }

    [Fact]
    public void MissingTensorAndMissingFileSayWhatToDo()
    {
        var f = GoldenFile.Parse(GoldenFile.Write(Sample), "memory");
        var e = Assert.Throws<KeyNotFoundException>(() => f["nope"]);
        Assert.Contains("scalar", e.Message);
        var m = Assert.Throws<FileNotFoundException>(() => GoldenFile.LoadFixture("no_such_fixture.bin"));
        Assert.Contains("make_golden.py", m.Message);
    }

    [Theory]
    [InlineData("prenorm_block.bin")]
    [InlineData("llama_block.bin")]
    [InlineData("qwen25_vision.bin")]
    [InlineData("adamw.bin")]
    public void CommittedFixturesLoad(string name)
    {
        var f = GoldenFile.LoadFixture(name);
        Assert.NotEmpty(f.Tensors);
        Assert.All(f.Tensors, t => Assert.All(t.Data, v => Assert.True(float.IsFinite(v), $"{f.Source}: {t.Describe()} holds {v}")));
    }
}
