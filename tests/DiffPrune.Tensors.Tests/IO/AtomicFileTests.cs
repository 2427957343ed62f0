using System.Collections;
using System.Diagnostics.CodeAnalysis;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Tensors.Tests.IO;

public class AtomicFileTests
{
    sealed class WriteFailed : Exception
    {
        public WriteFailed() : base("simulated failure mid-write") { }
    }

    [Fact]
    public void WriteCreatesAndReplaces()
    {
        using var dir = new TempDir();
        var path = dir.File("report.txt");
        AtomicFile.WriteAllText(path, "first");
        Assert.Equal("first", File.ReadAllText(path));
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(["report.txt"], dir.Listing());
    }

    [Fact]
    public void FailureMidWriteKeepsThePreviousFileAndLeavesNoTempFile()
    {
        using var dir = new TempDir();
        var path = dir.File("ckpt.bin");
        var previous = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(path, previous);
        string? tempSeen = null;

        var e = Assert.Throws<WriteFailed>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[200_000]); // more than the stream's buffer, so bytes really reach the temp file
            s.Flush();
            tempSeen = dir.Listing().Single(n => n != "ckpt.bin");
            throw new WriteFailed();
        }));

        Assert.Equal("simulated failure mid-write", e.Message);
        Assert.Matches(@"^\.ckpt\.bin\.[0-9a-f]{32}\.tmp$", tempSeen); // it was a hidden sibling while writing
        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal(["ckpt.bin"], dir.Listing());
    }

    [Fact]
    public void FailureWithoutAPreviousFileLeavesNothing()
    {
        using var dir = new TempDir();
        Assert.Throws<WriteFailed>(() => AtomicFile.Write(dir.File("new.bin"), s => { s.WriteByte(1); throw new WriteFailed(); }));
        Assert.Empty(dir.Listing());
    }

    [Fact]
    public void FailedRenameLeavesNoTempFile()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("taken")); // a directory where the file should go: the final move fails
        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllText(dir.File("taken"), "x"));
        Assert.Equal(["taken"], dir.Listing());
        Assert.Empty(Directory.GetFileSystemEntries(dir.File("taken")));
    }

    [UnixFact("creating symlinks on Windows needs a privilege")]
    public void ASymlinkAtTheTargetIsReplacedNotFollowed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("precious.txt"), "keep me");
        File.CreateSymbolicLink(dir.File("report.md"), dir.File("precious.txt"));
        AtomicFile.WriteAllText(dir.File("report.md"), "the report");
        Assert.Equal("keep me", File.ReadAllText(dir.File("precious.txt")));
        Assert.Null(new FileInfo(dir.File("report.md")).LinkTarget);
        Assert.Equal("the report", File.ReadAllText(dir.File("report.md")));
    }

    [Fact]
    public void MissingDirectoryIsAnError()
    {
        using var dir = new TempDir();
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllText(Path.Combine(dir.Path, "no", "such.txt"), "x"));
        Assert.Empty(dir.Listing());
    }

    /// <summary>A tensor dictionary that fails after yielding <c>failAfter</c> entries.</summary>
    sealed class FailingDictionary(Dictionary<string, Tensor> inner, int failAfter) : IReadOnlyDictionary<string, Tensor>
    {
        public Tensor this[string key] => inner[key];
        public IEnumerable<string> Keys => inner.Keys;
        public IEnumerable<Tensor> Values => inner.Values;
        public int Count => inner.Count;
        public bool ContainsKey(string key) => inner.ContainsKey(key);
        public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value) => inner.TryGetValue(key, out value);
        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
        {
            int n = 0;
            foreach (var p in inner)
            {
                if (n++ == failAfter) throw new WriteFailed();
                yield return p;
            }
        }
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void FailedSaveKeepsThePreviousCheckpoint()
    {
        using var dir = new TempDir();
        var path = dir.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray([1f, 2f], 2) });
        var previous = File.ReadAllBytes(path);
        var next = Enumerable.Range(0, 5).ToDictionary(i => $"layer{i}", i => Tensor.Full([64, 64], i));

        Assert.Throws<WriteFailed>(() => SafeTensors.Save(path, new FailingDictionary(next, failAfter: 3)));

        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], dir.Listing());
        Assert.Equal([1f, 2f], SafeTensors.Load(path)["w"].ToArray());
    }
}
