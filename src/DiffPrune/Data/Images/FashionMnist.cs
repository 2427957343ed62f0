using DiffPrune.Tensors;

namespace DiffPrune.Data.Images;

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017): 28×28 gray images of clothing in 10 classes, 60,000 for training and 10,000
/// for testing, as the Debian package <c>dataset-fashion-mnist</c> installs them under <see cref="DefaultDirectory"/>
/// (gzip'd IDX files; see <see cref="IdxFile"/>). Pixels are 0 (background) .. 255, row-major, image after image.
/// </summary>
public sealed class FashionMnist
{
    /// <summary>Where <c>apt-get install dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The Debian package that provides the data.</summary>
    public const string AptPackage = "dataset-fashion-mnist";

    /// <summary>Class names by label 0..9, as the dataset's README gives them.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The split these images come from.</summary>
    public FashionMnistSplit Split { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Rows per image (28).</summary>
    public int Rows { get; }

    /// <summary>Columns per image (28).</summary>
    public int Columns { get; }

    /// <summary>All pixels: <c>Count * Rows * Columns</c> bytes, image <c>i</c> at offset <c>i * Rows * Columns</c>.</summary>
    public byte[] Pixels { get; }

    /// <summary>Label 0..9 of each image (an index into <see cref="ClassNames"/>).</summary>
    public byte[] Labels { get; }

    FashionMnist(FashionMnistSplit split, int count, int rows, int columns, byte[] pixels, byte[] labels)
    {
        (Split, Count, Rows, Columns, Pixels, Labels) = (split, count, rows, columns, pixels, labels);
    }

    /// <summary>The image and label file names of <paramref name="split"/> (e.g. <c>train-images-idx3-ubyte.gz</c>).</summary>
    public static (string Images, string Labels) FileNames(FashionMnistSplit split)
    {
        string prefix = split switch
        {
            FashionMnistSplit.Train => "train",
            FashionMnistSplit.Test => "t10k",
            _ => throw new ArgumentOutOfRangeException(nameof(split), $"unknown Fashion-MNIST split {(int)split}"),
        };
        return ($"{prefix}-images-idx3-ubyte.gz", $"{prefix}-labels-idx1-ubyte.gz");
    }

    /// <summary>
    /// Loads one split from <paramref name="directory"/> (default <see cref="DefaultDirectory"/>). Each file is looked for
    /// gzip'd (<c>.gz</c>) and, failing that, unpacked (the same name without <c>.gz</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder or a file is missing; the message names the folder and the apt package.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid IDX file of the expected kind, labels are outside 0..9, or the counts differ.</exception>
    public static FashionMnist Load(FashionMnistSplit split, string? directory = null)
    {
        directory ??= DefaultDirectory;
        var (imagesName, labelsName) = FileNames(split);
        string NotFound() => $"Fashion-MNIST not found in {directory} (apt-get install {AptPackage})";
        if (!Directory.Exists(directory)) throw new FileNotFoundException(NotFound(), directory);
        string Find(string name)
        {
            string gz = Path.Combine(directory, name), plain = gz[..^3];
            if (File.Exists(gz)) return gz;
            if (File.Exists(plain)) return plain;
            throw new FileNotFoundException($"{NotFound()}: {name} is missing", gz);
        }
        string imagesPath = Find(imagesName), labelsPath = Find(labelsName);
        var (count, rows, columns, pixels) = IdxFile.ReadImages(imagesPath);
        var labels = IdxFile.ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new InvalidDataException($"{labelsPath}: {labels.Length} labels but {imagesPath} holds {count} images");
        int bad = Array.FindIndex(labels, l => l >= ClassNames.Count);
        if (bad >= 0)
            throw new InvalidDataException($"{labelsPath}: label {labels[bad]} of image {bad} is not a Fashion-MNIST class (0..{ClassNames.Count - 1})");
        return new FashionMnist(split, count, rows, columns, pixels, labels);
    }

    /// <summary>The pixels of image <paramref name="index"/> (<c>Rows * Columns</c> bytes, row-major).</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        CheckIndex(index, 1);
        return Pixels.AsSpan(index * Rows * Columns, Rows * Columns);
    }

    /// <summary>The class name of image <paramref name="index"/>.</summary>
    public string ClassName(int index)
    {
        CheckIndex(index, 1);
        return ClassNames[Labels[index]];
    }

    /// <summary>Image <paramref name="index"/> as a gray <see cref="RgbImage"/> (for drawing, or the RGB pipeline).</summary>
    public RgbImage ToRgbImage(int index) => RgbImage.FromGray(Columns, Rows, Image(index));

    /// <summary>Images <paramref name="start"/> .. start + count − 1 as a (count, 1, Rows, Columns) tensor of <c>byte / 255</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie within the split.</exception>
    public Tensor ToTensor(int start, int count)
    {
        CheckIndex(start, count);
        int n = Rows * Columns;
        var t = Tensor.Zeros(count, 1, Rows, Columns); // (count, 1, Rows, Columns)
        var data = t.Data;
        var src = Pixels.AsSpan(start * n, count * n);
        for (int i = 0; i < src.Length; i++) data[i] = src[i] / 255f;
        return t;
    }

    void CheckIndex(int start, int count)
    {
        if (start < 0 || count < 1 || (long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"images {start}..{(long)start + count - 1} are outside the {Count} images of Fashion-MNIST {Split}");
    }
}
