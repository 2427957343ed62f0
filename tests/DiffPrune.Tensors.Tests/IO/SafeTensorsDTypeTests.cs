using System.Text.Json;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Tensors.Tests.IO;

public class SafeTensorsDTypeTests
{
    [Fact]
    public void F16BitPatternsConvertToTheirExactValues()
    {
        using var dir = new TempDir();
        var path = dir.File("half.safetensors");
        (ushort Bits, float Value)[] cases =
        [
            (0x3C00, 1f), (0xC000, -2f), (0x7BFF, 65504f), (0x0400, MathF.ScaleB(1f, -14)) /* smallest normal */,
            (0x0001, MathF.ScaleB(1f, -24)) /* smallest subnormal */, (0x03FF, 1023 * MathF.ScaleB(1f, -24)) /* largest subnormal */,
            (0x3555, 0.333251953125f), (0x0000, 0f), (0x8000, -0f), (0x7C00, float.PositiveInfinity), (0xFC00, float.NegativeInfinity),
        ];
        SafeTensorsTestFiles.WriteSixteenBit(path, "F16", "h", [cases.Length], cases.Select(c => c.Bits).ToArray());

        using var file = SafeTensorsFile.Open(path);
        var t = file.Read("h");

        Assert.Equal(SafeTensorsDType.F16, file.DTypeOf("h"));
        Assert.Equal(SafeTensorsTestFiles.Bits(cases.Select(c => c.Value).ToArray()), SafeTensorsTestFiles.Bits(t.Data));
    }

    [Fact]
    public void F16NaNStaysNaN()
    {
        using var dir = new TempDir();
        var path = dir.File("nan.safetensors");
        SafeTensorsTestFiles.WriteSixteenBit(path, "F16", "h", [2], [0x7E00, 0xFE01]);
        Assert.All(SafeTensors.Load(path)["h"].ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void F16OfEveryLengthMatchesScalarConversion()
    {
        // lengths 0..70 cover the vectorised converter's full blocks and every tail length
        using var dir = new TempDir();
        var gen = new Generator(21);
        for (int n = 0; n <= 70; n++)
        {
            var bits = new ushort[n];
            for (int i = 0; i < n; i++) bits[i] = (ushort)(gen.NextInt(0x7C00) | (gen.NextInt(2) << 15)); // finite values of either sign
            var path = dir.File($"h{n}.safetensors");
            SafeTensorsTestFiles.WriteSixteenBit(path, "F16", "h", [n], bits);
            var expected = bits.Select(b => (float)BitConverter.UInt16BitsToHalf(b)).ToArray();
            Assert.Equal(SafeTensorsTestFiles.Bits(expected), SafeTensorsTestFiles.Bits(SafeTensors.Load(path)["h"].Data));
        }
    }

    [Fact]
    public void BF16BitPatternsConvertToTheirExactValues()
    {
        using var dir = new TempDir();
        var path = dir.File("bf16.safetensors");
        (ushort Bits, float Value)[] cases =
        [
            (0x3F80, 1f), (0xC040, -3f), (0x4049, 3.140625f), (0x7F7F, 3.3895314e38f) /* largest finite */,
            (0x0080, MathF.ScaleB(1f, -126)) /* smallest normal */, (0x0001, MathF.ScaleB(1f, -133)) /* smallest subnormal */,
            (0x0000, 0f), (0x8000, -0f), (0x7F80, float.PositiveInfinity), (0xFF80, float.NegativeInfinity),
        ];
        SafeTensorsTestFiles.WriteSixteenBit(path, "BF16", "b", [2, 5], cases.Select(c => c.Bits).ToArray());

        using var file = SafeTensorsFile.Open(path);
        var t = file.Read("b");

        Assert.Equal(SafeTensorsDType.BF16, file.DTypeOf("b"));
        Assert.Equal(new[] { 2, 5 }, t.Shape);
        Assert.Equal(SafeTensorsTestFiles.Bits(cases.Select(c => c.Value).ToArray()), SafeTensorsTestFiles.Bits(t.Data));
    }

    [Fact]
    public void BF16NaNStaysNaN()
    {
        using var dir = new TempDir();
        var path = dir.File("nan.safetensors");
        SafeTensorsTestFiles.WriteSixteenBit(path, "BF16", "b", [2], [0x7FC0, 0xFFC1]);
        Assert.All(SafeTensors.Load(path)["b"].ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void TorchFixtureMatchesTorchsOwnFloatConversion()
    {
        // Fixtures/torch_dtypes.safetensors: written by tools/make_safetensors_fixture.py from PyTorch tensors, with
        // unsorted keys, data in a third order, an unpadded header (F32 data at an odd offset), a 0-d and an empty tensor.
        // torch_dtypes.expected.json: torch's .float() of each tensor as float32 bit patterns.
        var path = SafeTensorsTestFiles.Fixture("torch_dtypes.safetensors");
        using var expectedDoc = JsonDocument.Parse(File.ReadAllText(SafeTensorsTestFiles.Fixture("torch_dtypes.expected.json")));
        var expected = expectedDoc.RootElement.GetProperty("tensors");

        var loaded = SafeTensors.Load(path);
        using var file = SafeTensorsFile.Open(path);

        Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), loaded.Keys);
        foreach (var p in expected.EnumerateObject())
        {
            var t = loaded[p.Name];
            Assert.Equal(p.Value.GetProperty("dtype").GetString(), file.DTypeOf(p.Name).HeaderName());
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), t.Shape);
            var bits = p.Value.GetProperty("float32_bits").EnumerateArray().Select(b => unchecked((int)b.GetUInt32())).ToArray();
            Assert.Equal(bits, SafeTensorsTestFiles.Bits(t.Data));
        }
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(expectedDoc.RootElement.GetProperty("metadata").GetProperty("producer").GetString(), SafeTensors.ReadMetadata(path)["producer"]);
        Assert.Empty(file.ShapeOf("f16.scalar"));
        Assert.Equal(new[] { 0, 2 }, file.ShapeOf("bf16.empty"));
    }

    [Fact]
    public void KnownButUnconvertedDTypeOpensAndFailsOnlyWhenRead()
    {
        // e.g. int64 position_ids buffers in HF checkpoints: the file is valid, that one tensor is not float
        using var dir = new TempDir();
        var path = dir.File("mixed.safetensors");
        var data = new byte[16 + 4];
        BitConverter.GetBytes(1.5f).CopyTo(data, 16);
        SafeTensorsTestFiles.WriteRaw(path,
            "{\"position_ids\":{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[0,16]},\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]}}", data);

        using var file = SafeTensorsFile.Open(path);

        Assert.Equal(SafeTensorsDType.I64, file.DTypeOf("position_ids"));
        Assert.Equal(new[] { 1, 2 }, file.ShapeOf("position_ids"));
        Assert.Equal(1.5f, file.Read("w").Item());
        var e = Assert.Throws<NotSupportedException>(() => file.Read("position_ids"));
        Assert.Contains("mixed.safetensors", e.Message);
        Assert.Contains("'position_ids'", e.Message);
        Assert.Contains("I64", e.Message);
        Assert.Contains("F32, F16, BF16", e.Message);
    }

    [Fact]
    public void DTypeTableMatchesTheFormatSpelling()
    {
        foreach (var dtype in Enum.GetValues<SafeTensorsDType>())
        {
            Assert.True(SafeTensorsDTypes.TryParse(dtype.HeaderName(), out var back));
            Assert.Equal(dtype, back);
        }
        Assert.Equal("F8_E4M3", SafeTensorsDType.F8E4M3.HeaderName());
        Assert.Equal(2, SafeTensorsDType.BF16.ElementSize());
        Assert.Equal(8, SafeTensorsDType.I64.ElementSize());
        Assert.False(SafeTensorsDTypes.TryParse("f32", out _)); // the format is case-sensitive
    }
}
