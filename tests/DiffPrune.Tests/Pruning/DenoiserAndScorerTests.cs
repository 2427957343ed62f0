using DiffPrune.Pruning;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning;

public class DenoiserAndScorerTests
{
    [Fact]
    public void TheDiagonalDenoiserMovesNoInformationAcrossTokens()
    {
        var denoiser = new Denoiser(16, new Generator(1));
        var x = Tensor.Randn(new Generator(2), [2, 7, 16]);
        var y = denoiser.Forward(x).ToArray();
        for (int j = 0; j < 7; j++)
        {
            var perturbed = x.Clone();
            for (int c = 0; c < 16; c++) perturbed.Data[(7 + j) * 16 + c] += 3f; // token j of sample 1
            var yp = denoiser.Forward(perturbed).ToArray();
            for (int i = 0; i < 14; i++)
            {
                bool same = Enumerable.Range(0, 16).All(c => yp[i * 16 + c] == y[i * 16 + c]);
                Assert.True(i == 7 + j ? !same : same, $"perturbing token {j} of sample 1 {(same ? "left" : "changed")} output token {i}");
            }
        }
    }

    [Fact]
    public void TheGlobalDenoiserAblationDoesMixTokens()
    {
        var denoiser = new Denoiser(16, new Generator(1), DenoiserAttention.Global);
        var x = Tensor.Randn(new Generator(2), [1, 5, 16]);
        var y = denoiser.Forward(x).ToArray();
        var perturbed = x.Clone();
        perturbed.Data[0] += 3f;
        var yp = denoiser.Forward(perturbed).ToArray();
        Assert.Contains(Enumerable.Range(16, 64), i => yp[i] != y[i]);
    }

    [Fact]
    public void TheScorerGivesOneLogitPerTokenAndIsPermutationEquivariant()
    {
        var scorer = new TokenScorer(32, new Generator(3), heads: 2);
        var x = Tensor.Randn(new Generator(4), [2, 10, 32]);
        var s = scorer.Forward(x);
        Assert.Equal([2, 10], s.Shape);
        // no positions inside the scorer: permuting the tokens permutes the logits
        var perm = new Generator(5).Permutation(10);
        var flat = Enumerable.Range(0, 2).SelectMany(b => perm.Select(p => b * 10 + p)).ToArray();
        var sp = scorer.Forward(x.Reshape(20, 32).IndexSelect(0, flat).Reshape(2, 10, 32)).ToArray();
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 10; i++) Assert.Equal(s.Data[b * 10 + perm[i]], sp[b * 10 + i], 4);
        Assert.Equal(2 * (4 * 32 * 32 + 4 * 32 + 2 * 32 * 128 + 128 + 32 + 4 * 32) + 2 * 32 + 33, scorer.ParameterCount);
    }

    [Fact]
    public void StandardisedTokensHaveZeroMeanAndUnitStdAndRestoreExactly()
    {
        var x = Tensor.Randn(new Generator(6), [4, 50, 3], mean: 0.8f, std: 0.4f);
        var st = TokenStandardizer.Fit(x);
        var z = st.Standardize(x);
        var zs = z.ToArray();
        for (int c = 0; c < 3; c++)
        {
            var ch = Enumerable.Range(0, 200).Select(r => (double)zs[r * 3 + c]).ToArray();
            Assert.Equal(0, ch.Average(), 4);
            Assert.Equal(1, Math.Sqrt(ch.Average(v => v * v)), 3);
        }
        var back = st.Restore(z).ToArray();
        for (int i = 0; i < back.Length; i++) Assert.Equal(x.Data[i], back[i], 4);
    }

    [Fact]
    public void HardTopKKeepsTheLargestInOriginalOrder()
    {
        var s = Tensor.FromArray([0.1f, 5f, -1f, 3f, 3f, 2f], 1, 6);
        Assert.Equal([1, 3, 4], HardTopK.Indices(s, 3)[0]);
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 0f], HardTopK.Mask(s, 2).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => HardTopK.Indices(s, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => HardTopK.Indices(s, 7));
    }
}
