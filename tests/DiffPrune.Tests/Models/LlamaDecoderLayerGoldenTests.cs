using DiffPrune.Models.Llama;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Tests.Golden;

namespace DiffPrune.Tests.Models;

/// <summary>
/// The model's own <see cref="LlamaDecoderLayer"/> against Hugging Face's LlamaDecoderLayer in torch (llama_block.bin:
/// B = 2, T = 6, d = 32, 4 query / 2 key-value heads, non-contiguous per-sample position ids): output and every gradient.
/// </summary>
public class LlamaDecoderLayerGoldenTests
{
    [Fact]
    public void MatchesHuggingFaceForwardAndBackward()
    {
        var f = GoldenFile.LoadFixture("llama_block.bin");
        var cfg = new LlamaConfig { HiddenSize = 32, NumHeads = 4, NumKvHeads = 2, IntermediateSize = 48, RmsNormEps = 1e-5f, NumLayers = 1 };
        var layer = new LlamaDecoderLayer(cfg, new Generator(0));
        layer.LoadStateDict(layer.NamedParameters().ToDictionary(p => p.Name, p => f.Tensor(p.Name)), source: f.Source);
        var x = f.Tensor("x").RequireGrad();
        var positions = f["position_ids"].Data.Select(v => (int)v).ToArray();
        var (y, _) = layer.Forward(x, positions, Enumerable.Repeat(true, positions.Length).ToArray(), cache: null, layer: 0);
        y.Backward(f.Tensor("gy"));
        Check("y", f["y"].Data, y.Data);
        Check("grad.x", f["grad.x"].Data, x.Grad!.Data);
        foreach (var (name, p) in layer.NamedParameters()) Check("grad." + name, f["grad." + name].Data, p.Grad!.Data);
    }

    static void Check(string what, float[] expected, ReadOnlySpan<float> actual)
    {
        float scale = Math.Max(1f, expected.Max(Math.Abs));
        Tolerance.AssertClose(expected, actual, atol: 1e-5 * scale, rtol: 0, what: what);
    }
}
