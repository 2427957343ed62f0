using DiffPrune.Data.Images;

namespace DiffPrune.Tests.Data;

public class FashionMnistTests
{
    static void WriteSplit(TempDirectory dir, string prefix, int count, byte[]? labels = null)
    {
        IdxFileTests.Write(dir.File($"{prefix}-images-idx3-ubyte.gz"), 0x803, [count, 28, 28],
            Enumerable.Range(0, count * 784).Select(i => (byte)(i % 256)).ToArray());
        labels ??= Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        IdxFileTests.Write(dir.File($"{prefix}-labels-idx1-ubyte.gz"), 0x801, [labels.Length], labels);
    }

    [Fact]
    public void LoadsASyntheticSplit()
    {
        using var dir = new TempDirectory();
        WriteSplit(dir, "t10k", 3);
        var data = FashionMnist.Load(FashionMnistSplit.Test, dir.Path);
        Assert.Equal((FashionMnistSplit.Test, 3, 28, 28), (data.Split, data.Count, data.Rows, data.Columns));
        Assert.Equal(new byte[] { 0, 1, 2 }, data.Labels);
        Assert.Equal("Pullover", data.ClassName(2));
        Assert.Equal((byte)(784 % 256), data.Image(1)[0]);
        var t = data.ToTensor(1, 2);
        Assert.Equal([2, 1, 28, 28], t.Shape);
        Assert.Equal(data.Image(1)[5] / 255f, t.Data[5]);
        var rgb = data.ToRgbImage(2);
        Assert.Equal((28, 28), (rgb.Width, rgb.Height));
        Assert.Equal(data.Image(2)[30], rgb.GetPixel(2, 1).G);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.ToTensor(2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Image(-1));
    }

    [Fact]
    public void UnpackedFilesAreFoundToo()
    {
        using var dir = new TempDirectory();
        IdxFileTests.Write(dir.File("train-images-idx3-ubyte"), 0x803, [1, 28, 28], new byte[784], gzip: false);
        IdxFileTests.Write(dir.File("train-labels-idx1-ubyte"), 0x801, [1], [9], gzip: false);
        Assert.Equal("Ankle boot", FashionMnist.Load(FashionMnistSplit.Train, dir.Path).ClassName(0));
    }

    [Fact]
    public void MissingDataNamesTheFolderAndThePackage()
    {
        using var dir = new TempDirectory();
        string missing = Path.Combine(dir.Path, "nowhere");
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(FashionMnistSplit.Train, missing));
        Assert.Equal($"Fashion-MNIST not found in {missing} (apt-get install dataset-fashion-mnist)", e.Message);
        var noFile = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(FashionMnistSplit.Train, dir.Path));
        Assert.Equal($"Fashion-MNIST not found in {dir.Path} (apt-get install dataset-fashion-mnist): train-images-idx3-ubyte.gz is missing", noFile.Message);
        Assert.Equal("/usr/share/datasets/fashion-mnist", FashionMnist.DefaultDirectory);
        Assert.Equal(("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"), FashionMnist.FileNames(FashionMnistSplit.Train));
    }

    [Fact]
    public void InconsistentFilesAreRejected()
    {
        using var dir = new TempDirectory();
        WriteSplit(dir, "t10k", 3, labels: [1, 2]);
        Assert.Contains("2 labels but", Assert.Throws<InvalidDataException>(() => FashionMnist.Load(FashionMnistSplit.Test, dir.Path)).Message);
        WriteSplit(dir, "t10k", 3, labels: [1, 2, 10]);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(FashionMnistSplit.Test, dir.Path));
        Assert.Contains("label 10 of image 2 is not a Fashion-MNIST class (0..9)", e.Message);
    }

    // Reference values below were read from the Debian package's files with NumPy.
    [SystemFileFact(FashionMnist.DefaultDirectory, FashionMnist.AptPackage)]
    public void TestSplitFromTheDebianPackage()
    {
        var test = FashionMnist.Load(FashionMnistSplit.Test);
        Assert.Equal((10000, 28, 28), (test.Count, test.Rows, test.Columns));
        Assert.Equal(10, FashionMnist.ClassNames.Count);
        Assert.Equal(new byte[] { 9, 2, 1, 1, 6, 1, 4, 6 }, test.Labels[..8]);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, test.Labels.Count(l => l == c)));
        Assert.Equal(33456, Sum(test.Image(0)));
        Assert.Equal(573469082L, test.Pixels.Sum(p => (long)p));
        Assert.Equal("Ankle boot", test.ClassName(0));
    }

    [SystemFileFact(FashionMnist.DefaultDirectory, FashionMnist.AptPackage)]
    public void TrainSplitFromTheDebianPackage()
    {
        var train = FashionMnist.Load(FashionMnistSplit.Train);
        Assert.Equal((60000, 28, 28), (train.Count, train.Rows, train.Columns));
        Assert.Equal(new byte[] { 9, 0, 0, 3, 0, 2, 7, 2 }, train.Labels[..8]);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6000, train.Labels.Count(l => l == c)));
        Assert.Equal(76247, Sum(train.Image(0)));
        Assert.Equal(3431114169L, train.Pixels.Sum(p => (long)p));
    }

    static int Sum(ReadOnlySpan<byte> pixels)
    {
        int s = 0;
        foreach (byte p in pixels) s += p;
        return s;
    }
}
