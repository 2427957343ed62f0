using DiffPrune.Data.Images;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Data;

/// <summary>Bilinear resizing against PyTorch 1.13: F.interpolate(x, size, mode="bilinear", align_corners=False, antialias=False).</summary>
public class ImageResizeTests
{
    // x[c, h, w] = ((c*31 + h*7 + w*13) % 17) / 16, for c in 0..1: the same formula in the Python that made the golden values
    static Tensor Input(int h, int w)
    {
        var t = Tensor.Zeros(1, 2, h, w);
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) t.Data[(c * h + y) * w + x] = (c * 31 + y * 7 + x * 13) % 17 / 16f;
        return t;
    }

    // Golden outputs, from:
    //   x = torch.tensor([[[((c*31 + h*7 + w*13) % 17) / 16.0 for w in range(W)] for h in range(H)] for c in range(2)])[None]
    //   F.interpolate(x, size=(oh, ow), mode='bilinear', align_corners=False, antialias=False)[0].flatten()
    public static TheoryData<int, int, int, int, float[]> Golden => new()
    {
        // (4,5) -> (7,3): enlarge rows, shrink columns
        { 4, 5, 7, 3, [0.270833313f, 0.5625f, 0.145833358f, 0.300595224f, 0.71875f, 0.302083373f, 0.348214298f, 0.96874994f, 0.552083433f, 0.572916746f, 0.687499881f, 0.625f, 0.747023761f, 0.40625006f, 0.647321343f, 0.389880866f, 0.65625f, 0.492559433f, 0.166666672f, 0.81249994f, 0.395833373f, 0.791666687f, 0.375f, 0.666666567f, 0.568452358f, 0.53125f, 0.569940388f, 0.211309507f, 0.78125f, 0.415178567f, 0.385416716f, 0.499999911f, 0.614583373f, 0.584821463f, 0.218750075f, 0.788690448f, 0.430059463f, 0.468750089f, 0.431547552f, 0.333333313f, 0.625f, 0.208333358f] },
        // (6,9) -> (3,4): shrink both
        { 6, 9, 3, 4, [0.39453125f, 0.5625f, 0.53125f, 0.5f, 0.40625f, 0.375f, 0.41015625f, 0.51171875f, 0.55078125f, 0.65234375f, 0.6875f, 0.32421875f, 0.40625f, 0.375f, 0.41015625f, 0.51171875f, 0.55078125f, 0.65234375f, 0.6875f, 0.32421875f, 0.5625f, 0.46484375f, 0.5f, 0.46875f] },
        // (3,3) -> (8,8): enlarge both; edges clamp
        { 3, 3, 8, 8, [0f, 0.05078125f, 0.35546875f, 0.66015625f, 0.765625f, 0.671875f, 0.578125f, 0.5625f, 0.02734375f, 0.0739746094f, 0.353759766f, 0.633544922f, 0.739013672f, 0.670166016f, 0.601318359f, 0.58984375f, 0.19140625f, 0.213134766f, 0.343505859f, 0.473876953f, 0.579345703f, 0.659912109f, 0.740478516f, 0.75390625f, 0.35546875f, 0.352294922f, 0.333251953f, 0.314208984f, 0.419677734f, 0.649658203f, 0.879638672f, 0.91796875f, 0.51953125f, 0.50390625f, 0.41015625f, 0.31640625f, 0.384521484f, 0.614501953f, 0.844482422f, 0.8828125f, 0.68359375f, 0.66796875f, 0.57421875f, 0.48046875f, 0.473876953f, 0.554443359f, 0.635009766f, 0.6484375f, 0.84765625f, 0.83203125f, 0.73828125f, 0.64453125f, 0.563232422f, 0.494384766f, 0.425537109f, 0.4140625f, 0.875f, 0.859375f, 0.765625f, 0.671875f, 0.578125f, 0.484375f, 0.390625f, 0.375f, 0.875f, 0.859375f, 0.765625f, 0.671875f, 0.578125f, 0.484375f, 0.390625f, 0.375f, 0.8359375f, 0.8203125f, 0.7265625f, 0.6328125f, 0.551513672f, 0.482666016f, 0.413818359f, 0.40234375f, 0.6015625f, 0.5859375f, 0.4921875f, 0.3984375f, 0.391845703f, 0.472412109f, 0.552978516f, 0.56640625f, 0.3671875f, 0.3515625f, 0.2578125f, 0.1640625f, 0.232177734f, 0.462158203f, 0.692138672f, 0.73046875f, 0.33203125f, 0.31640625f, 0.22265625f, 0.12890625f, 0.197021484f, 0.427001953f, 0.656982422f, 0.6953125f, 0.49609375f, 0.48046875f, 0.38671875f, 0.29296875f, 0.286376953f, 0.366943359f, 0.447509766f, 0.4609375f, 0.66015625f, 0.64453125f, 0.55078125f, 0.45703125f, 0.375732422f, 0.306884766f, 0.238037109f, 0.2265625f, 0.6875f, 0.671875f, 0.578125f, 0.484375f, 0.390625f, 0.296875f, 0.203125f, 0.1875f] },
        // (1,5) -> (2,3): a single input row
        { 1, 5, 2, 3, [0.270833313f, 0.5625f, 0.145833358f, 0.270833313f, 0.5625f, 0.145833358f, 0.791666687f, 0.375f, 0.666666567f, 0.791666687f, 0.375f, 0.666666567f] },
        // (5,2) -> (1,1)
        { 5, 2, 1, 1, [0.75f, 0.5625f] },
    };

    [Theory]
    [MemberData(nameof(Golden))]
    public void TensorResizeMatchesPyTorch(int inH, int inW, int outH, int outW, float[] expected)
    {
        var output = ImageResize.Bilinear(Input(inH, inW), outH, outW);
        Assert.Equal([1, 2, outH, outW], output.Shape);
        float maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - output.Data[i]));
        Assert.True(maxDiff < 1e-6f, $"max |ours - torch| = {maxDiff}");
    }

    [Fact]
    public void SameSizeIsTheIdentity()
    {
        var input = Input(5, 7);
        Assert.Equal(input.Data.ToArray(), ImageResize.Bilinear(input, 5, 7).Data.ToArray());
        var image = new RgbImage(3, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18], [0, 50, 100, 150, 200, 250]);
        var same = ImageResize.Bilinear(image, 3, 2);
        Assert.Equal(image.Rgb, same.Rgb);
        Assert.Equal(image.Alpha, same.Alpha);
    }

    // byte image b[y, x, c] = (x*53 + y*97 + c*31) % 256, 5x4; torch on the float values, printed to 4 decimals (HWC order)
    static RgbImage ByteImage()
    {
        var rgb = new byte[5 * 4 * 3];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 5; x++)
                for (int c = 0; c < 3; c++) rgb[(y * 5 + x) * 3 + c] = (byte)((x * 53 + y * 97 + c * 31) % 256);
        return new RgbImage(5, 4, rgb);
    }

    public static TheoryData<int, int, float[]> ByteGolden => new()
    {
        { 9, 7, [0f, 31f, 62f, 17.6667f, 48.6667f, 79.6667f, 47.1111f, 78.1111f, 109.1111f, 76.5556f, 107.5556f, 138.5556f, 106f, 137f, 168f, 135.4445f, 166.4444f, 197.4445f, 164.8889f, 195.8889f, 198.4444f, 194.3333f, 225.3333f, 85.6666f, 212f, 243f, 18f, 34.6429f, 65.6429f, 96.6429f, 52.3095f, 83.3095f, 114.3095f, 81.7540f, 112.7540f, 143.7540f, 111.1984f, 142.1984f, 132.5635f, 140.6429f, 171.6429f, 111.2143f, 119.2936f, 150.2936f, 140.6587f, 108.1032f, 139.1032f, 151.8174f, 137.5476f, 168.5476f, 89.8333f, 155.2143f, 186.2143f, 52.6429f, 90.0714f, 121.0714f, 152.0714f, 107.7381f, 138.7381f, 169.7381f, 137.1826f, 168.1825f, 199.1825f, 166.6270f, 197.6270f, 122.9762f, 196.0714f, 227.0714f, 20.3571f, 93.4523f, 124.4524f, 49.8016f, 17.2460f, 48.2460f, 77.2143f, 46.6905f, 77.6905f, 96.5000f, 64.3571f, 95.3571f, 108.0714f, 145.5000f, 176.5000f, 79.5000f, 163.1667f, 151.5000f, 97.1666f, 192.6111f, 109.8333f, 126.6111f, 165.1667f, 125.0555f, 99.1667f, 123.5000f, 154.5000f, 57.5000f, 81.8333f, 112.8333f, 86.9445f, 54.3889f, 85.3889f, 116.3889f, 83.8334f, 114.8334f, 145.8334f, 101.5000f, 132.5000f, 163.5000f, 182.6428f, 213.6429f, 6.9286f, 200.3095f, 152.0714f, 24.5953f, 229.7540f, 49.4524f, 54.0397f, 153.5476f, 52.4841f, 83.4841f, 50.9286f, 81.9286f, 112.9286f, 80.3730f, 111.3730f, 132.2143f, 109.8175f, 138.7857f, 153.5317f, 139.2619f, 158.0714f, 182.9762f, 156.9286f, 169.6428f, 200.6429f, 91.7857f, 122.7857f, 62.3572f, 109.4524f, 109.9762f, 80.0238f, 138.8968f, 88.6270f, 109.4683f, 127.7063f, 107.9127f, 138.9127f, 106.3572f, 137.3572f, 168.3571f, 135.8016f, 166.8016f, 106.3730f, 165.2461f, 177.9603f, 62.6746f, 194.6905f, 115.9762f, 92.1190f, 212.3571f, 78.7857f, 109.7857f, 35f, 66f, 97f, 52.6667f, 83.6667f, 114.6667f, 82.1111f, 113.1111f, 144.1111f, 111.5556f, 142.5556f, 173.5556f, 141f, 172f, 203f, 170.4445f, 201.4444f, 90.2222f, 199.8889f, 202.4444f, 5.8889f, 229.3334f, 89.6666f, 35.3333f, 247f, 22f, 53f] },
        { 3, 2, [66.1667f, 97.1667f, 128.1667f, 154.5000f, 185.5000f, 88.5000f, 114.8333f, 145.8333f, 91.5000f, 132.1667f, 120.5000f, 66.1667f, 92.5000f, 123.5000f, 154.5000f, 180.8333f, 126.5000f, 114.8333f] },
    };

    [Theory]
    [MemberData(nameof(ByteGolden))]
    public void ImageResizeRoundsPyTorchsFloatsToTheNearestByte(int width, int height, float[] torchFloats)
    {
        var resized = ImageResize.Bilinear(ByteImage(), width, height);
        Assert.Equal((width, height), (resized.Width, resized.Height));
        for (int i = 0; i < torchFloats.Length; i++)
        {
            float f = torchFloats[i];
            Assert.True(Math.Abs(resized.Rgb[i] - f) <= 0.5001f, $"byte {i}: ours {resized.Rgb[i]}, torch {f}");
            if (Math.Abs(f - MathF.Floor(f) - 0.5f) > 0.001f) Assert.Equal((byte)MathF.Round(f), resized.Rgb[i]);
        }
    }

    [Fact]
    public void AlphaIsResizedWithTheColours()
    {
        var image = new RgbImage(2, 1, [0, 0, 0, 255, 255, 255], [0, 255]);
        var wide = ImageResize.Bilinear(image, 4, 1);
        // source x = (d + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (upper neighbour clamped)
        Assert.Equal(new byte[] { 0, 64, 191, 255 }, wide.Alpha);
        Assert.Equal(new byte[] { 0, 0, 0, 64, 64, 64, 191, 191, 191, 255, 255, 255 }, wide.Rgb);
    }

    [Fact]
    public void BadSizesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ImageResize.Bilinear(Tensor.Zeros(4), 2, 2));
        Assert.Throws<ArgumentException>(() => ImageResize.Bilinear(Tensor.Zeros(2, 2), 0, 2));
        Assert.Throws<ArgumentException>(() => ImageResize.Bilinear(RgbImage.Filled(2, 2), 2, 0));
    }
}
