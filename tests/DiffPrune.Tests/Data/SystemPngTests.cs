using System.Security.Cryptography;
using DiffPrune.Data.Images;

namespace DiffPrune.Tests.Data;

/// <summary>
/// PNGs shipped by Debian packages (.ci/run installs libpng-dev): real files from encoders we did not write.
/// The expected pixel hashes are SHA-256 of the straight RGBA that ImageMagick 6.9 and Pillow 9.4 both decode them to.
/// </summary>
public class SystemPngTests
{
    const string LibpngTest = "/usr/share/doc/libpng-dev/examples/pngtest.png";
    const string GitLogo = "/usr/share/gitweb/static/git-logo.png";

    static void Check(string path, string fileSha, int width, int height, PngColorType colorType, bool interlaced, string rgbaSha)
    {
        var header = PngDecoder.ReadHeader(path);
        Assert.Equal((width, height, colorType, interlaced), (header.Width, header.Height, header.ColorType, header.Interlaced));
        var image = PngDecoder.DecodeRgba(path);
        Assert.Equal((width, height), (image.Width, image.Height));
        // another package version may ship a different picture: then decoding without error is all we can check
        if (Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))) == fileSha)
            Assert.Equal(rgbaSha, Convert.ToHexStringLower(SHA256.HashData(image.Rgba)));
    }

    /// <summary>libpng's own test image: 91x69 RGBA, Adam7, with 15 kinds of ancillary chunk (sTER, vpAg, pCAL, eXIf after IDAT ...).</summary>
    [SystemFileFact(LibpngTest, "libpng-dev")]
    public void DecodesLibpngsTestImage() =>
        Check(LibpngTest, "db5dc868f302ea86b4111ca57dcf273cba831ff1e09d58c6183765796b94b96a", 91, 69, PngColorType.Rgba, true,
            "a8adc4b0c6c6b43eb25aedcf8124c96a4b177d29e7b5ef1e8912629ae245b6bc");

    /// <summary>gitweb's logo: 72x27, 8-bit palette.</summary>
    [SystemFileFact(GitLogo, "git")]
    public void DecodesGitwebsLogo() =>
        Check(GitLogo, "ecc07dc6faa45d6368fa2867483636e6b2579f1eeac1a9fb174bd9388d982714", 72, 27, PngColorType.Palette, false,
            "b7822ba018c0f77b1ee7d56dcce7a1f2403d808ed4b43cf79bf93f6a5dde0754");

    [Fact]
    public void AbsentFilesSkipWithTheFileAndThePackage()
    {
        Assert.Equal("/nonexistent/x.png is not present; apt-get install some-package to run this test",
            new SystemFileFactAttribute("/nonexistent/x.png", "some-package").Skip);
        Assert.Null(new SystemFileFactAttribute(AppContext.BaseDirectory, "some-package").Skip);
    }

    [SystemFileFact(LibpngTest, "libpng-dev")]
    public void ReencodingLibpngsTestImageKeepsEveryPixel()
    {
        var image = PngDecoder.DecodeRgba(LibpngTest);
        Assert.Equal(image.Rgba, PngDecoder.DecodeRgba(PngEncoder.Encode(image), "re-encoded").Rgba);
    }
}
