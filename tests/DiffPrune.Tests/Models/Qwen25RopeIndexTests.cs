using DiffPrune.Models.Vlm;

namespace DiffPrune.Tests.Models;

/// <summary>M-RoPE ids of a Qwen2.5-VL prompt with one image, computed by hand from HF's get_rope_index.</summary>
public class Qwen25RopeIndexTests
{
    [Fact]
    public void TextImageTextIsLaidOutAsGetRopeIndex()
    {
        // two text tokens, a 2 × 3 merged image from position 2, text again from 2 + max(2, 3) = 5
        Assert.Equal([0, 1, 2, 2, 2, 2, 2, 2, 5, 6, /* height */ 0, 1, 2, 2, 2, 3, 3, 3, 5, 6, /* width */ 0, 1, 2, 3, 4, 2, 3, 4, 5, 6],
            Qwen25RopeIndex.ForImage(2, 2, 3, 2));
        // an image first, taller than wide: text resumes past the last row
        Assert.Equal([0, 0, 0, 3, /* height */ 0, 1, 2, 3, /* width */ 0, 0, 0, 3], Qwen25RopeIndex.ForImage(0, 3, 1, 1));
    }

    [Fact]
    public void KeptTokensKeepTheirIdsAndTextAfterTheImageKeepsItsOwn()
    {
        // tokens 1 (row 0, column 1) and 5 (row 1, column 2) of the 2 × 3 grid above; text still resumes at 5
        Assert.Equal([0, 1, 2, 2, 5, 6, /* height */ 0, 1, 2, 3, 5, 6, /* width */ 0, 1, 3, 4, 5, 6], Qwen25RopeIndex.ForImage(2, 2, 3, 2, [1, 5]));
        Assert.Equal(Qwen25RopeIndex.ForImage(2, 2, 3, 2), Qwen25RopeIndex.ForImage(2, 2, 3, 2, [0, 1, 2, 3, 4, 5]));
        Assert.Throws<ArgumentException>(() => Qwen25RopeIndex.ForImage(2, 2, 3, 2, [5, 1]));
        Assert.Throws<ArgumentException>(() => Qwen25RopeIndex.ForImage(2, 2, 3, 2, [6]));
    }

    [Fact]
    public void AnEmptyImageIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Qwen25RopeIndex.ForImage(1, 0, 3, 1));
}
