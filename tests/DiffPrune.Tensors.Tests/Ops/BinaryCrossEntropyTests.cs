namespace DiffPrune.Tensors.Tests.Ops;

public class BinaryCrossEntropyTests
{
    // z and y as in the PyTorch check below; values from torch 1.13
    // F.binary_cross_entropy_with_logits(z, y) in float64: loss 10.360389733732053 and dL/dz.
    static readonly float[] Z = [-30f, -2.5f, -0.3f, 0f, 0.7f, 4f, 40f];
    static readonly float[] Y = [1f, 0f, 0.25f, 1f, 0f, 1f, 0f];
    static readonly double[] Grad = [-0.142857142857, 0.01083688286, 0.025079640455, -0.071428571429, 0.095455396024, -0.002569458566, 0.142857142857];

    [Fact]
    public void MatchesPyTorchIncludingExtremeLogits()
    {
        var z = Tensor.FromArray(Z, 7).RequireGrad();
        var loss = F.BinaryCrossEntropyWithLogits(z, Tensor.FromArray(Y, 7));
        Assert.Equal(10.360389733732053, loss.Item(), 1e-5);
        loss.Backward();
        for (int i = 0; i < 7; i++) Assert.Equal(Grad[i], z.Grad!.Data[i], 1e-6);
    }

    [Fact]
    public void GradientMatchesFiniteDifferences()
    {
        var gen = new Generator(3);
        var z = GradCheck.Leaf(gen, 3, 5);
        var y = Tensor.Rand(gen, [3, 5]);
        GradCheck.Check(t => F.BinaryCrossEntropyWithLogits(t[0], y), [z]);
    }

    [Fact]
    public void ShapeMismatchIsNamed() =>
        Assert.Contains("differ in shape", Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2))).Message);
}
