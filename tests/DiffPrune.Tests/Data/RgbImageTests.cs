using DiffPrune.Data.Images;

namespace DiffPrune.Tests.Data;

public class RgbImageTests
{
    [Fact]
    public void OverWhiteRoundsToNearestForEveryColourAndAlpha()
    {
        for (int a = 0; a < 256; a++)
            for (int c = 0; c < 256; c++)
            {
                double exact = (c * a + 255.0 * (255 - a)) / 255.0;
                int got = RgbaImage.OverWhite(c, a);
                Assert.True(Math.Abs(got - exact) <= 0.5 && got == (int)Math.Floor(exact + 0.5), $"c={c} a={a}: {got} vs {exact}");
            }
        Assert.Equal(255, RgbaImage.OverWhite(0, 0));
        Assert.Equal(17, RgbaImage.OverWhite(17, 255));
    }

    [Fact]
    public void ToRgbCompositesAndKeepsAlphaOnlyWhenPresent()
    {
        var rgba = new RgbaImage(2, 1, [0, 100, 200, 255, 0, 0, 0, 0], hasAlpha: true);
        var rgb = rgba.ToRgb();
        Assert.Equal(new byte[] { 0, 100, 200, 255, 255, 255 }, rgb.Rgb);
        Assert.Equal(new byte[] { 255, 0 }, rgb.Alpha);
        Assert.Null(new RgbaImage(1, 1, [1, 2, 3, 255], hasAlpha: false).ToRgb().Alpha);
        var back = RgbaImage.FromRgb(rgb);
        Assert.Equal(new byte[] { 0, 100, 200, 255, 255, 255, 255, 0 }, back.Rgba);
    }

    [Fact]
    public void PixelsCropsAndGray()
    {
        var image = RgbImage.Filled(4, 3, 9, 8, 7);
        image.SetPixel(3, 2, 1, 2, 3);
        Assert.Equal(((byte)1, (byte)2, (byte)3), image.GetPixel(3, 2));
        Assert.Equal(((byte)9, (byte)8, (byte)7), image.GetPixel(0, 0));
        var crop = image.Crop(2, 1, 2, 2);
        Assert.Equal(new byte[] { 9, 8, 7, 9, 8, 7, 9, 8, 7, 1, 2, 3 }, crop.Rgb);
        Assert.Throws<ArgumentOutOfRangeException>(() => image.Crop(3, 0, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.GetPixel(4, 0));
        // torchvision CenterCrop: top = round((3 - 2) / 2) = round(0.5) = 0 (ties to even), left = round((4 - 1) / 2) = 2
        var centre = image.CenterCrop(1, 2);
        Assert.Equal(image.Crop(2, 0, 1, 2).Rgb, centre.Rgb);
        Assert.Equal(new byte[] { 5, 5, 5, 6, 6, 6 }, RgbImage.FromGray(2, 1, [5, 6]).Rgb);
        var withAlpha = new RgbImage(2, 1, new byte[6], [10, 20]);
        Assert.Equal(new byte[] { 20 }, withAlpha.Crop(1, 0, 1, 1).Alpha);
        Assert.Equal(new byte[] { 10, 20 }, withAlpha.Clone().Alpha);
    }

    [Fact]
    public void WrongBufferSizesAreRejected()
    {
        Assert.Contains("needs 6", Assert.Throws<ArgumentException>(() => new RgbImage(2, 1, new byte[5])).Message);
        Assert.Contains("needs 2", Assert.Throws<ArgumentException>(() => new RgbImage(2, 1, new byte[6], new byte[3])).Message);
        Assert.Contains("not positive", Assert.Throws<ArgumentException>(() => new RgbImage(0, 1, [])).Message);
        Assert.Contains("needs 8", Assert.Throws<ArgumentException>(() => new RgbaImage(2, 1, new byte[6], false)).Message);
    }

    [Fact]
    public void Crc32MatchesTheStandardCheckValue() =>
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8)); // the CRC-32 check value of ISO 3309
}
