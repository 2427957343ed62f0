using DiffPrune.Models.Loaders;

namespace DiffPrune.Tests.Models;

public sealed class Llama2cCheckpointTests : IDisposable
{
    readonly string _path = Path.Combine(Path.GetTempPath(), "dp-l2c-" + Guid.NewGuid().ToString("N") + ".bin");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void GarbageHeaderIsRejectedNamingTheFile()
    {
        File.WriteAllBytes(_path, [.. Enumerable.Range(0, 64).Select(i => (byte)(i * 37))]);
        var msg = Assert.Throws<InvalidDataException>(() => Llama2cCheckpoint.Load(_path)).Message;
        Assert.Contains(_path, msg);
        Assert.Contains("not a valid llama2.c model", msg);
    }

    [SharedDataFact("models/stories260K/stories260K.bin")]
    public void TruncatedCheckpointSaysHowManyBytesItNeeds()
    {
        File.WriteAllBytes(_path, File.ReadAllBytes(SharedData.PathOf("models/stories260K/stories260K.bin"))[..5000]);
        var msg = Assert.Throws<InvalidDataException>(() => Llama2cCheckpoint.Load(_path)).Message;
        Assert.Contains(_path, msg);
        Assert.Contains("5000 bytes", msg);
    }
}
