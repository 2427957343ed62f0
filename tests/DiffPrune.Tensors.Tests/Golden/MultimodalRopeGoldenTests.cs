using Xunit.Abstractions;

namespace DiffPrune.Tensors.Tests.Golden;

/// <summary>
/// <see cref="F.MultimodalRope"/> against Hugging Face's Qwen2-VL apply_multimodal_rotary_pos_emb in plain torch
/// (mrope.bin): output and dL/dx for L = Σ y⊙gy. B = 2, H = 2, T = 8, D = 16, sections [2, 3, 3], text tokens and a
/// 2 × 3 image grid laid out as get_rope_index does.
/// </summary>
public sealed class MultimodalRopeGoldenTests(ITestOutputHelper log)
{
    const double Tolerance = 1e-5;
    static readonly int[] Sections = [2, 3, 3];

    static readonly Lazy<GoldenFile> Fixture = new(() => GoldenFile.LoadFixture("mrope.bin"));

    /// <summary>position_ids (3, B, T) as stored: plane by plane, each per sample and token, as F.MultimodalRope takes them.</summary>
    static int[] PositionIds(GoldenFile f) => f["position_ids"].Data.Select(v => checked((int)v)).ToArray();

    static List<Comparison> Run(int[] positions, int[] sections)
    {
        var f = Fixture.Value;
        var x = f.Tensor("x").RequireGrad();
        var y = F.MultimodalRope(x, positions, sections);
        y.Backward(f.Tensor("gy"));
        return [GoldenCompare.Compare("y", y, f["y"], Tolerance), GoldenCompare.Compare("grad.x", x.Grad, f["grad.x"], Tolerance)];
    }

    [Fact]
    public void MatchesPyTorch()
    {
        var results = Run(PositionIds(Fixture.Value), Sections);
        log.WriteLine($"mrope: {GoldenCompare.Summary(results)}");
        GoldenCompare.AssertAll(results, log);
    }

    [Fact]
    public void SectionsAndPlanesAreDetected()
    {
        // other sections, or the height and width planes swapped, must both fail
        Assert.False(Run(PositionIds(Fixture.Value), [3, 3, 2])[0].Passed, "sections [3, 3, 2] passed against [2, 3, 3]");
        var ids = PositionIds(Fixture.Value);
        int plane = ids.Length / 3;
        var swapped = ids[..plane].Concat(ids[(2 * plane)..]).Concat(ids[plane..(2 * plane)]).ToArray();
        Assert.False(Run(swapped, Sections)[0].Passed, "swapping the height and width planes went unnoticed");
    }

    [Fact]
    public void EqualPlanesGiveOrdinaryRope()
    {
        var x = Tensor.Randn(new Generator(3), [2, 3, 5, 16]);
        int[] ids = [0, 2, 3, 7, 8, 1, 4, 5, 6, 9];
        var multimodal = F.MultimodalRope(x, [.. ids, .. ids, .. ids], [4, 2, 2], 500f);
        Assert.Equal(F.Rope(x, ids, 500f, RopeStyle.Half).ToArray(), multimodal.ToArray());
    }

    [Fact]
    public void BadSectionsOrIdsAreRefusedWithWhatIsWrong()
    {
        var x = Tensor.Zeros(1, 1, 4, 16);
        Assert.Contains("summing to D/2 = 8", Assert.Throws<ArgumentException>(() => F.MultimodalRope(x, new int[12], [2, 3, 2])).Message);
        Assert.Contains("give 12 or 12", Assert.Throws<ArgumentException>(() => F.MultimodalRope(x, new int[4], [2, 3, 3])).Message);
    }
}
