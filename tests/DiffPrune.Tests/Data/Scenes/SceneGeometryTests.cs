using DiffPrune.Data.Scenes;

namespace DiffPrune.Tests.Data.Scenes;

/// <summary>Non-square patch grids: the boxes of patches and regions, worked out by hand, and the options' checks.</summary>
public class SceneGeometryTests
{
    static readonly SceneOptions Wide = new() { ImageWidth = 120, ImageHeight = 72 };     // 15 × 9 patches

    [Fact]
    public void AWideGridHasItsRowsColumnsAndRegionsWorkedOutByHand()
    {
        Assert.Equal((15, 9, 135), (Wide.GridColumns, Wide.GridRows, Wide.PatchCount));
        Assert.Equal((5, 3), (Wide.PatchesPerRegionX, Wide.PatchesPerRegionY));
        Assert.Equal((40, 24), (Wide.RegionWidth, Wide.RegionHeight));
        Assert.False(Wide.IsSquare);
        Assert.Equal(new PixelBox(0, 0, 8, 8), Wide.PatchBox(0));
        Assert.Equal(new PixelBox(112, 0, 8, 8), Wide.PatchBox(14));          // last of the first row
        Assert.Equal(new PixelBox(0, 8, 8, 8), Wide.PatchBox(15));            // first of the second row
        Assert.Equal(new PixelBox(8 * 7, 8 * 4, 8, 8), Wide.PatchBox(4 * 15 + 7));
        Assert.Equal(new PixelBox(112, 64, 8, 8), Wide.PatchBox(134));
        Assert.Equal(new PixelBox(0, 0, 40, 24), Wide.RegionBox(SceneRegion.TopLeft));
        Assert.Equal(new PixelBox(80, 0, 40, 24), Wide.RegionBox(SceneRegion.TopRight));
        Assert.Equal(new PixelBox(40, 24, 40, 24), Wide.RegionBox(SceneRegion.Center));
        Assert.Equal(new PixelBox(0, 48, 40, 24), Wide.RegionBox(SceneRegion.BottomLeft));
        Assert.Equal(new PixelBox(80, 48, 40, 24), Wide.RegionBox(SceneRegion.BottomRight));
        Assert.Throws<ArgumentOutOfRangeException>(() => Wide.PatchBox(135));

        var tall = new SceneOptions { ImageWidth = 72, ImageHeight = 144 };     // 9 × 18 patches
        Assert.Equal((9, 18, 162, 3, 6), (tall.GridColumns, tall.GridRows, tall.PatchCount, tall.PatchesPerRegionX, tall.PatchesPerRegionY));
        Assert.Equal(new PixelBox(64, 8, 8, 8), tall.PatchBox(17));             // row 1, column 8
        Assert.Equal(new PixelBox(48, 96, 24, 48), tall.RegionBox(SceneRegion.BottomRight));
    }

    [Fact]
    public void RegionsAndPatchesTileTheImageExactly()
    {
        foreach (var o in new[] { Wide, new SceneOptions { ImageWidth = 72, ImageHeight = 144 }, SceneOptions.Default, new SceneOptions { ImageSize = 192 } })
        {
            var cover = new int[o.ImageWidth * o.ImageHeight];
            for (int p = 0; p < o.PatchCount; p++) Mark(cover, o.ImageWidth, o.PatchBox(p));
            Assert.All(cover, c => Assert.Equal(1, c));
            Array.Clear(cover);
            foreach (var r in SceneAttributes.Regions) Mark(cover, o.ImageWidth, o.RegionBox(r));
            Assert.All(cover, c => Assert.Equal(1, c));
        }
    }

    static void Mark(int[] cover, int width, PixelBox box)
    {
        for (int y = box.Y; y < box.Y + box.Height; y++)
            for (int x = box.X; x < box.X + box.Width; x++) cover[y * width + x]++;
    }

    [Fact]
    public void SquareOnlyPropertiesRefuseNonSquareScenesAndAgreeOnSquareOnes()
    {
        Assert.Contains("GridColumns and GridRows", Assert.Throws<InvalidOperationException>(() => Wide.GridSize).Message);
        Assert.Contains("PatchesPerRegionX", Assert.Throws<InvalidOperationException>(() => Wide.PatchesPerRegion).Message);
        Assert.Contains("RegionWidth", Assert.Throws<InvalidOperationException>(() => Wide.RegionSize).Message);
        var square = SceneOptions.Default;
        Assert.Equal((12, 12, 12, 4, 4, 32, 32), (square.GridSize, square.GridColumns, square.GridRows, square.PatchesPerRegion, square.PatchesPerRegionX, square.RegionSize, square.RegionWidth));
        Assert.Equal((72, 72), (SceneOptions.Grid81.ImageWidth, SceneOptions.Grid81.ImageHeight));
    }

    [Fact]
    public void BadSizesAreRefusedNamingTheOption()
    {
        string Error(SceneOptions o) => Assert.Throws<ArgumentException>(() => o.Validate()).Message;
        Assert.Contains("ImageWidth = 100", Error(new SceneOptions { ImageWidth = 100 }));
        Assert.Contains("ImageHeight = 80", Error(new SceneOptions { ImageHeight = 80 }));
        Assert.Contains("3x3 regions", Error(new SceneOptions { ImageHeight = 80 }));
        Assert.Contains("ImageWidth = 48", Error(new SceneOptions { ImageWidth = 48 }));        // 6 patches: regions of 2
        Assert.Contains("ImageSize = 100", Error(new SceneOptions { ImageSize = 100 }));
        Assert.Contains("VariableSides is empty", Error(new SceneOptions { VariableSides = [] }));
        Assert.Contains("VariableSides = 100", Error(new SceneOptions { VariableSides = [72, 100] }));
        Assert.Contains("together with ImageWidth/ImageHeight", Error(new SceneOptions { VariableSides = [72], ImageHeight = 96 }));
        Assert.Equal(120, new SceneOptions { ImageWidth = 120, ImageHeight = 216 }.Validate().ImageWidth);
    }
}
