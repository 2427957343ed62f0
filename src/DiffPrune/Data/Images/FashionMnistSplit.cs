namespace DiffPrune.Data.Images;

/// <summary>Which part of Fashion-MNIST to load.</summary>
public enum FashionMnistSplit
{
    /// <summary>60,000 training images (files <c>train-*-idx?-ubyte.gz</c>).</summary>
    Train,

    /// <summary>10,000 test images (files <c>t10k-*-idx?-ubyte.gz</c>).</summary>
    Test,
}
