using DiffPrune.Models.Llama;

namespace DiffPrune.Tests.Models;

/// <summary>Every plane of the position ids moves together: kept, extended, read per sample; the next id is over all planes.</summary>
public class PositionPlanesTests
{
    // two samples of three tokens, plane by plane: temporal, height, width
    static readonly int[] Ids = [0, 1, 1, 0, 4, 4, /* height */ 0, 1, 2, 0, 4, 5, /* width */ 0, 2, 3, 0, 5, 4];

    [Fact]
    public void KeepTakesTheKeptTokensOfEveryPlane()
    {
        Assert.Equal([0, 1, 4, 4, /* height */ 0, 2, 4, 5, /* width */ 0, 3, 5, 4], PositionPlanes.Keep(Ids, 3, [[0, 2], [1, 2]]));
        Assert.Equal([5, 7, 9, 10], PositionPlanes.Keep([5, 6, 7, 8, 9, 10], 3, [[0, 2], [1, 2]]));
    }

    [Fact]
    public void NextIsOnePastTheLargestValidIdOfAnyPlane()
    {
        Assert.Equal([4, 6], PositionPlanes.Next(Ids, [true, true, true, true, true, true], 2));
        Assert.Equal([3, 6], PositionPlanes.Next(Ids, [true, true, false, true, true, true], 2));
        Assert.Equal([0, 0], PositionPlanes.Next([], [], 2));
    }

    [Fact]
    public void AppendGivesEachSampleItsNextIdInEveryPlane()
    {
        Assert.Equal([0, 1, 1, 4, 0, 4, 4, 6, /* height */ 0, 1, 2, 4, 0, 4, 5, 6, /* width */ 0, 2, 3, 4, 0, 5, 4, 6],
            PositionPlanes.Append(Ids, 3, [4, 6]));
        Assert.Equal([7, 9], PositionPlanes.Append([], 0, [7, 9]));
    }

    [Fact]
    public void OfSampleReadsOneSampleAcrossThePlanes()
    {
        Assert.Equal([0, 4, 4, 0, 4, 5, 0, 5, 4], PositionPlanes.OfSample(Ids, 2, 3, 1));
        Assert.Equal([8, 9, 10], PositionPlanes.OfSample([5, 6, 7, 8, 9, 10], 2, 3, 1));
    }

    [Fact]
    public void CountAcceptsOneOrThreePlanes()
    {
        Assert.Equal(3, PositionPlanes.Count(Ids, 6, multimodal: true));
        Assert.Equal(1, PositionPlanes.Count(Ids[..6], 6, multimodal: true));
        Assert.Contains("no mrope_section", Assert.Throws<ArgumentException>(() => PositionPlanes.Count(Ids, 6, multimodal: false)).Message);
        Assert.Contains("7 position ids for 6 tokens", Assert.Throws<ArgumentException>(() => PositionPlanes.Count(new int[7], 6, multimodal: true)).Message);
    }
}
