using DiffPrune.Data.Images;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Data;

public class ImageTensorsTests
{
    // 2x2 image, row-major: black, white, (123, 45, 210), (17, 200, 99)
    static RgbImage Sample() => new(2, 2, [0, 0, 0, 255, 255, 255, 123, 45, 210, 17, 200, 99]);

    [Fact]
    public void ToTensorIsChwInZeroToOne()
    {
        var t = ImageTensors.ToTensor(Sample());
        Assert.Equal([1, 3, 2, 2], t.Shape);
        float[] expected = [0, 1, 123, 17, 0, 1, 45, 200, 0, 1, 210, 99]; // R plane, G plane, B plane
        for (int i = 0; i < 12; i++) Assert.Equal(expected[i] is 0 or 1 ? expected[i] : expected[i] / 255f, t.Data[i]);
    }

    [Fact]
    public void ClipNormalisationMatchesPyTorch()
    {
        // torch: x = torch.tensor(rgb, dtype=torch.float32).reshape(2,2,3).permute(2,0,1)[None] / 255.0
        //        mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1,3,1,1)
        //        std  = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1,3,1,1); (x - mean) / std
        float[] torch = [-1.79226255f, 1.93033612f, 0.00334390532f, -1.54408932f, -1.75209713f, 2.0748837f, -1.07674754f, 1.24945652f, -1.48021984f, 2.14589691f, 1.50599408f, -0.0724332184f];
        var n = ImageTensors.Normalize(ImageTensors.ToTensor(Sample()), ImageNormalization.Clip);
        for (int i = 0; i < torch.Length; i++) Assert.True(Math.Abs(torch[i] - n.Data[i]) < 1e-6f, $"{i}: {n.Data[i]} vs {torch[i]}");
        Assert.Equal([0.48145466f, 0.4578275f, 0.40821073f], ImageNormalization.Clip.Mean);
        Assert.Equal([0.26862954f, 0.26130258f, 0.27577711f], ImageNormalization.Clip.Std);
    }

    [Fact]
    public void PreprocessResizesThenNormalisesLikePyTorch()
    {
        // torch: (F.interpolate(x, size=(3,3), mode='bilinear', align_corners=False) - mean) / std, x as above
        float[] torch = [-1.79226255f, 0.069036819f, 1.93033612f, -0.894459307f, -0.350667953f, 0.193123326f, 0.00334390532f, -0.770372748f, -1.54408932f, -1.75209713f, 0.161393315f, 2.0748837f, -1.41442239f, 0.123873897f, 1.66217005f, -1.07674754f, 0.0863544792f, 1.24945629f, -1.48021984f, 0.332838655f, 2.14589691f, 0.0128871705f, 0.524809659f, 1.03673172f, 1.50599408f, 0.716780424f, -0.0724333301f];
        var t = ImageTensors.Preprocess(Sample(), 3, ImageNormalization.Clip);
        Assert.Equal([1, 3, 3, 3], t.Shape);
        for (int i = 0; i < torch.Length; i++) Assert.True(Math.Abs(torch[i] - t.Data[i]) < 1e-5f, $"{i}: {t.Data[i]} vs {torch[i]}");
    }

    [Fact]
    public void ToImageInvertsNormalisationExactlyForEveryByte()
    {
        var rgb = new byte[256 * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 7 % 256);
        var image = new RgbImage(16, 16, rgb);
        foreach (var n in new[] { ImageNormalization.Clip, ImageNormalization.ImageNet, ImageNormalization.Symmetric })
            Assert.Equal(rgb, ImageTensors.ToImage(ImageTensors.Normalize(ImageTensors.ToTensor(image), n), n).Rgb);
        Assert.Equal(rgb, ImageTensors.ToImage(ImageTensors.ToTensor(image)).Rgb);
        var chw = ImageTensors.ToTensor(image).Reshape(3, 16, 16); // (3, H, W) works too
        Assert.Equal(rgb, ImageTensors.ToImage(chw).Rgb);
    }

    [Fact]
    public void ToImageClampsAndMapsNaNToBlack()
    {
        var t = Tensor.FromArray([-0.5f, 2f, float.NaN, 0.5f, 0f, 0f, 0f, 0f, 0f], 3, 1, 3);
        Assert.Equal(new byte[] { 0, 128, 0, 255, 0, 0, 0, 0, 0 }, ImageTensors.ToImage(t).Rgb);
    }

    [Fact]
    public void BatchesDenormalisationAndShapeErrors()
    {
        var a = Sample();
        var b = RgbImage.Filled(2, 2, 10, 20, 30);
        var batch = ImageTensors.ToTensor([a, b]);
        Assert.Equal([2, 3, 2, 2], batch.Shape);
        Assert.Equal(20 / 255f, batch.Data[12 + 4]); // image 1, G plane, first pixel
        var n = ImageTensors.Normalize(batch, ImageNormalization.ImageNet);
        var back = ImageTensors.Denormalize(n, ImageNormalization.ImageNet);
        for (int i = 0; i < batch.Numel; i++) Assert.True(Math.Abs(batch.Data[i] - back.Data[i]) < 1e-6f);

        Assert.Contains("image 1 is 3x2 but image 0 is 2x2",
            Assert.Throws<ArgumentException>(() => ImageTensors.ToTensor([a, RgbImage.Filled(3, 2)])).Message);
        Assert.Contains("got shape [1, 4, 2, 2]",
            Assert.Throws<ArgumentException>(() => ImageTensors.Normalize(Tensor.Zeros(1, 4, 2, 2), ImageNormalization.Clip)).Message);
        Assert.Contains("takes one image", Assert.Throws<ArgumentException>(() => ImageTensors.ToImage(batch)).Message);
        Assert.Throws<ArgumentException>(() => new ImageNormalization("bad", [0f, 0f, 0f], [1f, 0f, 1f]));
        Assert.Throws<ArgumentException>(() => new ImageNormalization("short", [0f], [1f]));
    }
}
