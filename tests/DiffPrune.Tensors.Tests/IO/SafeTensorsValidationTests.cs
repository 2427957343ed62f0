using System.Buffers.Binary;
using System.Text;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Tensors.Tests.IO;

/// <summary>Malformed files: each error names the file and, where one is at fault, the tensor.</summary>
public class SafeTensorsValidationTests
{
    const string FileName = "model.safetensors";

    static InvalidDataException OpenFails(TempDir dir) =>
        Assert.Throws<InvalidDataException>(() => { using var _ = SafeTensorsFile.Open(dir.File(FileName)); });

    static InvalidDataException HeaderFails(string json, int dataBytes, params string[] mustContain)
    {
        using var dir = new TempDir();
        SafeTensorsTestFiles.WriteRaw(dir.File(FileName), json, new byte[dataBytes]);
        var e = OpenFails(dir);
        Assert.Contains(FileName, e.Message);
        foreach (var s in mustContain) Assert.Contains(s, e.Message);
        // the whole-file helpers report the same problem
        Assert.Equal(e.Message, Assert.Throws<InvalidDataException>(() => SafeTensors.Load(dir.File(FileName))).Message);
        Assert.Equal(e.Message, Assert.Throws<InvalidDataException>(() => SafeTensors.ReadMetadata(dir.File(FileName))).Message);
        return e;
    }

    [Fact]
    public void FileShorterThanTheLengthPrefix()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File(FileName), new byte[5]);
        var e = OpenFails(dir);
        Assert.Contains(FileName, e.Message);
        Assert.Contains("shorter than the 8-byte header length", e.Message);
    }

    [Fact]
    public void EmptyFileOrFolderIsRefusedBeforeOpening()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File(FileName), []);
        Assert.Contains("is empty (0 bytes) or not a regular file", OpenFails(dir).Message);
        File.Delete(dir.File(FileName));
        Directory.CreateDirectory(dir.File(FileName));
        Assert.Contains("is a folder, not a file", OpenFails(dir).Message);
    }

    [Fact]
    public void HeaderLengthBeyondTheFile()
    {
        using var dir = new TempDir();
        var bytes = new byte[8 + 12];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        Encoding.UTF8.GetBytes("{}          ").CopyTo(bytes, 8);
        File.WriteAllBytes(dir.File(FileName), bytes);
        var e = OpenFails(dir);
        Assert.Contains(FileName, e.Message);
        Assert.Contains("header length 1000 runs past the end of the file (20 bytes)", e.Message);
    }

    [Fact]
    public void FileTruncatedInsideTheData()
    {
        using var dir = new TempDir();
        var path = dir.File(FileName);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a.weight"] = Tensor.Ones(2, 3), ["b.weight"] = Tensor.Ones(4) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        var e = OpenFails(dir);
        Assert.Contains(FileName, e.Message);
        Assert.Contains("tensor 'b.weight'", e.Message); // the last tensor in the data lost its tail
        Assert.Contains("data_offsets [24, 40] run past the end of the data buffer (37 bytes", e.Message);
    }

    [Fact]
    public void FileTruncatedInsideTheHeader()
    {
        using var dir = new TempDir();
        var path = dir.File(FileName);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a.weight"] = Tensor.Ones(2, 3) });
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..20]);
        var e = OpenFails(dir);
        Assert.Contains(FileName, e.Message);
        Assert.Contains("runs past the end of the file (20 bytes)", e.Message);
    }

    [Fact]
    public void HeaderThatIsNotJson() => HeaderFails("{not json at all", 0, "header is not valid JSON");

    [Fact]
    public void HeaderThatIsNotUtf8()
    {
        using var dir = new TempDir();
        var bytes = new byte[8 + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 8);
        new byte[] { (byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}' }.CopyTo(bytes, 8);
        File.WriteAllBytes(dir.File(FileName), bytes);
        var e = OpenFails(dir);
        Assert.Contains(FileName, e.Message);
        Assert.Contains("header is not valid UTF-8", e.Message);
    }

    [Theory]
    [InlineData("[1, 2]", "header is a JSON array, expected an object")]
    [InlineData("\"text\"", "header is a JSON string, expected an object")]
    public void HeaderThatIsNotAnObject(string json, string message) => HeaderFails(json, 0, message);

    [Theory]
    [InlineData("{\"a.weight\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "entry has no 'dtype'")]
    [InlineData("{\"a.weight\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "entry has no 'shape'")]
    [InlineData("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[1]}}", "entry has no 'data_offsets'")]
    [InlineData("{\"a.weight\":[1,2,3]}", "entry is a JSON array")]
    [InlineData("{\"a.weight\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", "'dtype' is a JSON number")]
    [InlineData("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}}", "'shape' is a JSON number")]
    [InlineData("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "shape [1.5] must hold integers")]
    [InlineData("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "'data_offsets' must be an array [begin, end]")]
    [InlineData("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "must be integers with 0 ≤ begin ≤ end")]
    [InlineData("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "must be integers with 0 ≤ begin ≤ end")]
    public void MalformedEntry(string json, string message) => HeaderFails(json, 4, "tensor 'a.weight'", message);

    [Fact]
    public void UnknownDType() =>
        HeaderFails("{\"a.weight\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
            "tensor 'a.weight'", "unknown dtype 'F99'", "supported: F32, F16, BF16");

    [Fact]
    public void SizeMismatch() =>
        HeaderFails("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,12]}}", 24,
            "model.safetensors: tensor 'a.weight': size mismatch: data_offsets [0, 12] hold 12 bytes but shape [2, 3] of F32 needs 24");

    [Fact]
    public void SizeMismatchCountsTheDTypeWidth() =>
        HeaderFails("{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16,
            "tensor 'h'", "hold 16 bytes but shape [4] of F16 needs 8");

    [Fact]
    public void NegativeDimension() =>
        HeaderFails("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[0,0]}}", 0,
            "tensor 'a.weight'", "shape [-1,2] has a negative dimension");

    [Fact]
    public void OffsetsBeyondTheData() =>
        HeaderFails("{\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8,
            "tensor 'a.weight'", "data_offsets [4, 12] run past the end of the data buffer (8 bytes");

    [Fact]
    public void OverlappingTensors() =>
        HeaderFails("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
            "tensor 'b' data_offsets [4, 12] overlap tensor 'a' data_offsets [0, 8]");

    [Fact]
    public void EmptyTensorsMayShareAnOffset()
    {
        using var dir = new TempDir();
        SafeTensorsTestFiles.WriteRaw(dir.File(FileName),
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", new byte[8]);
        var t = SafeTensors.Load(dir.File(FileName));
        Assert.Equal(new[] { 0 }, t["e"].Shape);
        Assert.Equal(2, t["a"].Numel);
    }

    [Fact]
    public void DuplicateTensorName() =>
        HeaderFails("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
            "tensor 'a' is declared twice");

    [Theory]
    [InlineData("{\"__metadata__\":[\"x\"]}", "'__metadata__' is a JSON array")]
    [InlineData("{\"__metadata__\":{\"epoch\":3}}", "'__metadata__' entry 'epoch' is a JSON number, expected a string")]
    [InlineData("{\"__metadata__\":{},\"__metadata__\":{}}", "'__metadata__' is declared twice")]
    public void MalformedMetadata(string json, string message) => HeaderFails(json, 0, message);

    [Fact]
    public void UnknownTensorNameAndWrongDestination()
    {
        using var dir = new TempDir();
        var path = dir.File(FileName);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a.weight"] = Tensor.Ones(2, 3) });
        using var file = SafeTensorsFile.Open(path);

        var missing = Assert.Throws<KeyNotFoundException>(() => file.Read("b.weight"));
        Assert.Contains(FileName, missing.Message);
        Assert.Contains("'b.weight'", missing.Message);
        Assert.Throws<KeyNotFoundException>(() => file.ShapeOf("b.weight"));

        var wrong = Assert.Throws<ArgumentException>(() => file.ReadInto("a.weight", new float[5]));
        Assert.Contains("'a.weight' [2, 3] has 6 elements but the destination holds 5", wrong.Message);
    }

    [Fact]
    public void ReadAfterDisposeFails()
    {
        using var dir = new TempDir();
        var path = dir.File(FileName);
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Ones(2) });
        var file = SafeTensorsFile.Open(path);
        var kept = file.Read("a");
        file.Dispose();
        file.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => file.Read("a"));
        Assert.Equal([1f, 1f], kept.ToArray()); // tensors own their data
    }

    [Fact]
    public void MissingFile()
    {
        using var dir = new TempDir();
        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Open(dir.File("nope.safetensors")));
    }
}
