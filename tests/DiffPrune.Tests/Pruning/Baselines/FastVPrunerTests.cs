using DiffPrune.Models.Llama;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning.Baselines;

public class FastVPrunerTests
{
    // Two samples of 8 tokens; sample 1 is left-padded by one, so its image sits one later.
    static readonly bool[] Valid = [true, true, true, true, true, true, true, true, false, true, true, true, true, true, true, true];
    static readonly ImageSpan[] Spans = [new(2, 4), new(3, 4)];

    /// <summary>Attention (2, 2 heads, 8, 8 + offset): the last token's rows say what FastV keeps; another row says otherwise.</summary>
    static Tensor Attention(int keyOffset = 0)
    {
        var a = Tensor.Zeros(2, 2, 8, 8 + keyOffset);
        void Row(int b, int head, int query, int start, float[] values)
        {
            for (int j = 0; j < values.Length; j++) a[b, head, query, keyOffset + start + j] = values[j];
        }
        // sample 0, image 2..5: heads average to 0.1, 0.3, 0.2, 0.2 (head 0 alone would pick offsets 1 and 3)
        Row(0, 0, 7, 2, [0.1f, 0.5f, 0.1f, 0.3f]);
        Row(0, 1, 7, 2, [0.1f, 0.1f, 0.3f, 0.1f]);
        Row(0, 0, 6, 2, [0.9f, 0, 0, 0]); // not the last token: ignored
        // sample 1, image 3..6: heads average to 0.2, 0, 0.25, 0.1
        Row(1, 0, 7, 3, [0.4f, 0, 0, 0.1f]);
        Row(1, 1, 7, 3, [0, 0, 0.5f, 0.1f]);
        return a;
    }

    [Fact]
    public void KeepsTheImageTokensTheLastPromptTokenAttendsToMost()
    {
        var fastV = new FastVPruner(2, imageTokens: 4, depth: 4);
        var decision = fastV.Decide(BaselineFixtures.Context(Attention(), Valid, Spans));
        Assert.Equal([0, 1, 3, 4, 6, 7], decision.Keep[0]);    // offsets 1 (0.3) and 2 (0.2, tie with 3 → lower index)
        Assert.Equal([0, 1, 2, 3, 5, 7], decision.Keep[1]);    // offsets 2 and 0; the padding stays (it is masked anyway)
        Assert.Null(decision.MergeInto);
    }

    [Fact]
    public void KeysFromAKvCacheComeFirstAndAreSkipped()
    {
        var fastV = new FastVPruner(2, imageTokens: 4, depth: 4);
        var plain = fastV.Decide(BaselineFixtures.Context(Attention(), Valid, Spans));
        var cached = fastV.Decide(BaselineFixtures.Context(Attention(keyOffset: 3), Valid, Spans));
        Assert.Equal(plain.Keep, cached.Keep);
    }

    [Fact]
    public void DropsAtLayerTwoOfAnyDepthAndReadsLayerOnesAttention()
    {
        var fastV = new FastVPruner(2, 4, depth: 32);
        Assert.Equal((2, "L2–L32", true), (fastV.Layer, fastV.Location, fastV.NeedsAttention));
        Assert.Equal("L2–L4", new FastVPruner(2, 4, depth: 4).Location);
        Assert.Equal(1, new FastVPruner(2, 4, depth: 2).Layer);
        Assert.Contains("at least 2 layers", Assert.Throws<ArgumentException>(() => new FastVPruner(2, 4, depth: 1)).Message);
        Assert.Contains("K = 5, N = 4", Assert.Throws<ArgumentOutOfRangeException>(() => new FastVPruner(5, 4, depth: 4)).Message);
        Assert.Contains("K = 3, N = 2", Assert.Throws<ArgumentOutOfRangeException>(() =>
            new FastVPruner(3, 4, depth: 4).Decide(BaselineFixtures.Context(Attention(), Valid, [new(2, 2), new(3, 2)]))).Message);
    }
}
