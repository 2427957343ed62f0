using System.Text;
using DiffPrune.Data.Images;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vision;
using DiffPrune.Pruning;
using DiffPrune.Tensors;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Hostile;

/// <summary>Sizes and values checked before memory is committed, and the arithmetic behind those checks.</summary>
public class LoaderLimitsTests
{
    [Fact]
    public void ScorerParameterCountMatchesTheBuiltScorer()
    {
        foreach (var (dim, heads, layers) in new[] { (16, 2, 1), (24, 2, 2), (64, 1, 3) })
            Assert.Equal(new TokenScorer(dim, new Generator(0), heads, layers).ParameterCount, TokenScorer.ParameterCountOf(dim, layers));
        Assert.Throws<OverflowException>(() => TokenScorer.ParameterCountOf(int.MaxValue, int.MaxValue));
    }

    [Fact]
    public void ParameterCountsOverflowLoudlyInsteadOfWrapping()
    {
        var huge = new LlamaConfig { VocabSize = int.MaxValue, HiddenSize = int.MaxValue - 1, IntermediateSize = int.MaxValue, NumLayers = int.MaxValue, NumHeads = 1, NumKvHeads = 1 };
        Assert.Throws<OverflowException>(() => huge.ParameterCount());
        var wide = new VisionConfig { HiddenSize = int.MaxValue, IntermediateSize = int.MaxValue, NumLayers = int.MaxValue };
        Assert.Throws<OverflowException>(() => wide.ParameterCount());
    }

    [Theory]
    [InlineData(0f, 10000f, "rms_norm_eps")]
    [InlineData(-1e-5f, 10000f, "rms_norm_eps")]
    [InlineData(float.NaN, 10000f, "rms_norm_eps")]
    [InlineData(1e-5f, 0f, "rope_theta")]
    [InlineData(1e-5f, -10f, "rope_theta")]
    [InlineData(1e-5f, float.PositiveInfinity, "rope_theta")]
    public void InvalidEpsOrThetaIsRefused(float eps, float theta, string field) =>
        Assert.Contains(field, Assert.Throws<ArgumentException>(() => new LlamaConfig { RmsNormEps = eps, RopeTheta = theta }.Validate()).Message);

    [Fact]
    public void ConfigJsonWithoutSectionsOrWithWrongTypesIsInvalidData()
    {
        string Fails(string json) => Assert.Throws<InvalidDataException>(() => HfConfig.ParseLlava(json, "c.json")).Message;
        Assert.Contains("text_config is missing", Fails("""{ "model_type": "llava", "vision_config": {} }"""));
        Assert.Contains("text_config is missing or null", Fails("""{ "model_type": "llava", "text_config": null, "vision_config": {} }"""));
        Assert.Contains("vision_config is not an object", Fails("""{ "model_type": "llava", "text_config": {}, "vision_config": 7 }"""));
        Assert.StartsWith("c.json", Fails("""{ "model_type": 5, "text_config": {}, "vision_config": {} }"""));
        Assert.StartsWith("c.json", Fails("""{ "model_type": "llava", "vision_feature_select_strategy": 3, "text_config": {}, "vision_config": {} }"""));
        Assert.StartsWith("c.json", Fails("""{ "model_type": "llava", "text_config": { "num_hidden_layers": 1e6 }, "vision_config": {} }"""));
        Assert.StartsWith("c.json", Assert.Throws<InvalidDataException>(() => HfConfig.ModelType("""{ "model_type": [] }""", "c.json")).Message);
    }

    [Fact]
    public void Llama2cTokenizerNeedsRoomForByteFallbackAndAFileThatHoldsItsVocabulary()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("t.bin"), new byte[64]);
        Assert.Contains("byte fallback", Assert.Throws<InvalidDataException>(() => Llama2cTokenizer.Load(dir.File("t.bin"), 100)).Message);
        Assert.Contains("cannot hold 100000000 tokens", Assert.Throws<InvalidDataException>(() => Llama2cTokenizer.Load(dir.File("t.bin"), 100_000_000)).Message);
        Assert.Contains("is a folder", Assert.Throws<InvalidDataException>(() => Llama2cTokenizer.Load(dir.Path, 512)).Message);
    }

    [Fact]
    public void AByteTokenWithoutHexDigitsDecodesAsItsText()
    {
        using var dir = new TempDirectory();
        var pieces = new List<string> { "<unk>", "<s>", "</s>" };
        pieces.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
        pieces.Add("<0xZZ>");
        using (var w = new BinaryWriter(File.Create(dir.File("t.bin"))))
        {
            w.Write(8);
            foreach (var p in pieces) { w.Write(0f); w.Write(Encoding.ASCII.GetByteCount(p)); w.Write(Encoding.ASCII.GetBytes(p)); }
        }
        var tokenizer = Llama2cTokenizer.Load(dir.File("t.bin"), pieces.Count);
        Assert.Equal("<0xZZ>A", tokenizer.Decode([pieces.Count - 1, 3 + 'A']));
    }

    [Fact]
    public void Llama2cHeaderThatOverflowsOrHasNoPositiveCounterpartIsInvalidData()
    {
        using var dir = new TempDirectory();
        void Header(params int[] fields)
        {
            using var w = new BinaryWriter(File.Create(dir.File("m.bin")));
            foreach (int f in fields) w.Write(f);
            w.Write(new byte[64]);
        }
        Header(8, 16, 1, 2, 2, int.MinValue, 16);
        Assert.Contains("vocab_size", Assert.Throws<InvalidDataException>(() => Llama2cCheckpoint.Load(dir.File("m.bin"))).Message);
        Header(1 << 30, 1 << 30, 1 << 30, 2, 2, 1 << 30, 16);
        Assert.Contains("more parameters than any file holds", Assert.Throws<InvalidDataException>(() => Llama2cCheckpoint.Load(dir.File("m.bin"))).Message);
        Header(8, 16, 1_000_000, 2, 2, 512, 16);
        Assert.Contains("need at least", Assert.Throws<InvalidDataException>(() => Llama2cCheckpoint.Load(dir.File("m.bin"))).Message);
    }

    [Fact]
    public void PreprocessResizingFromBytesEqualsResizingAFloatCopyBitForBit()
    {
        var random = new Random(3);
        foreach (var (w, h, size) in new[] { (37, 23, 16), (5, 90, 48), (200, 160, 96), (12, 12, 30) })
        {
            var rgb = new byte[3 * w * h];
            random.NextBytes(rgb);
            var image = new RgbImage(w, h, rgb);
            var expected = ImageTensors.Normalize(ImageResize.Bilinear(ImageTensors.ToTensor(image), size, size), ImageNormalization.Clip);
            Assert.Equal(expected.Data.ToArray(), ImageTensors.Preprocess(image, size, ImageNormalization.Clip).Data.ToArray());
        }
    }
}
