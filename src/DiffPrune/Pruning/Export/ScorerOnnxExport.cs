using System.Reflection;
using DiffPrune.Pruning.Export.Onnx;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Nn;
using Google.Protobuf;
using static DiffPrune.Pruning.Export.OnnxGraphBuilder;
using DataType = DiffPrune.Pruning.Export.Onnx.TensorProto.Types.DataType;

namespace DiffPrune.Pruning.Export;

/// <summary>
/// Writes a trained <see cref="TokenScorer"/> as a standard ONNX model (opset 17), so that a VLM served by ONNX
/// Runtime or any other ONNX reader can run the pruner's decision without this project.
/// <para>
/// Graph: input <c>features</c> (batch, tokens, d_v) float32, both leading dims symbolic; output <c>logits</c>
/// (batch, tokens), the same numbers as <see cref="TokenPruner.Logits"/>. With a budget K the graph also returns
/// <c>kept</c> (batch, K) int64: the indices of the K largest logits in ascending (original) order, as
/// <see cref="HardTopK.Indices(Tensor, int)"/> (TopK, then a second, ascending TopK over those indices sorts them).
/// </para>
/// <para>
/// Ops: LayerNormalization (opset 17), MatMul + Add for each linear layer (weights stored as the state dict holds
/// them, (out, in), under their state-dict names, and transposed by a Transpose node that runtimes fold at load),
/// Reshape/Transpose to split and merge heads, Softmax over the keys with the scores scaled by 1/√(d/H) first, and
/// the exact GELU x·½(1 + erf(x/√2)) from Erf.
/// </para>
/// </summary>
public static class ScorerOnnxExport
{
    /// <summary>The ONNX operator set the graph is written for.</summary>
    public const int Opset = 17;

    /// <summary>IR version 8: the oldest that carries opset 17.</summary>
    public const int IrVersion = 8;

    /// <summary>Graph input: features (batch, tokens, d_v).</summary>
    public const string FeaturesName = "features";

    /// <summary>Graph output: logits (batch, tokens).</summary>
    public const string LogitsName = "logits";

    /// <summary>Graph output with a budget: kept indices (batch, K), ascending.</summary>
    public const string KeptName = "kept";

    /// <summary>The ONNX model of <paramref name="scorer"/>, with a hard top-<paramref name="keep"/> output when given.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1.</exception>
    /// <exception cref="NotSupportedException">A block with another activation than exact GELU.</exception>
    public static byte[] ToBytes(TokenScorer scorer, int? keep = null)
    {
        if (keep is < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, $"top-K export needs K ≥ 1 (got {keep})");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this machine is not");
        var g = new OnnxGraphBuilder("diffprune_scorer");
        var weights = scorer.StateDict();
        foreach (var (name, tensor) in weights) g.Initializer(name, tensor);
        var x = g.Input(FeaturesName, DataType.Float, "batch", "tokens", scorer.Width);

        for (int i = 0; i < scorer.Blocks.Items.Count; i++) x = EncoderBlock(g, scorer.Blocks.Items[i], $"blocks.{i}", scorer.Width, x);
        var logits3 = Linear(g, "head", LayerNorm(g, "norm", scorer.Norm, x));                                       // (B, N, 1)
        var logits = g.Node("Squeeze", "head", [logits3, g.Int64s("head/squeeze_axes", -1)]);                         // (B, N)
        g.Output(logits, LogitsName, DataType.Float, "batch", "tokens");
        if (keep is int k) g.Output(KeptIndices(g, logits, k), KeptName, DataType.Int64, "batch", k);

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "DiffPrune.NET",
            ProducerVersion = typeof(ScorerOnnxExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown",
            DocString = $"DiffPrune token scorer: features (batch, tokens, {scorer.Width}) -> logits (batch, tokens)"
                + (keep is int kk ? $" and kept (batch, {kk}): the indices of the {kk} largest logits in original order" : ""),
            Graph = g.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in Metadata(scorer, keep)) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model.ToByteArray();
    }

    /// <summary>Writes <see cref="ToBytes"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, TokenScorer scorer, int? keep = null) => AtomicFile.WriteAllBytes(path, ToBytes(scorer, keep));

    static IEnumerable<(string, string)> Metadata(TokenScorer scorer, int? keep)
    {
        yield return ("diffprune.vision_width", scorer.Width.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("diffprune.heads", scorer.Heads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("diffprune.layers", scorer.Blocks.Items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (keep is int k) yield return ("diffprune.keep", k.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>x += self_attn(layer_norm1(x)); x += mlp(layer_norm2(x)), as <see cref="TransformerBlock.Forward"/>.</summary>
    static string EncoderBlock(OnnxGraphBuilder g, TransformerBlock block, string p, int width, string x)
    {
        var h = g.Node("Add", p, [x, SelfAttention(g, $"{p}.self_attn", block.SelfAttn.Heads, width, LayerNorm(g, $"{p}.layer_norm1", block.LayerNorm1, x))]);
        if (block.Mlp.Act != Activation.Gelu)
            throw new NotSupportedException($"ONNX export writes exact GELU MLPs; {p}.mlp uses {block.Mlp.Act.ToConfigName()}");
        var mlp = Linear(g, $"{p}.mlp.fc2", Gelu(g, $"{p}.mlp", Linear(g, $"{p}.mlp.fc1", LayerNorm(g, $"{p}.layer_norm2", block.LayerNorm2, h))));
        return g.Node("Add", p, [h, mlp]);
    }

    /// <summary>softmax(q kᵀ / √hd) v per head, heads split from and merged back into the channels (B, T, C).</summary>
    static string SelfAttention(OnnxGraphBuilder g, string p, int heads, int width, string x)
    {
        int headDim = width / heads;
        var split = g.Int64s($"{p}/split_heads_shape", 0, 0, heads, headDim);  // (B, T, C) → (B, T, H, hd); 0 keeps a dim
        string Heads(string proj, long[] perm) => g.Node("Transpose", p, [g.Node("Reshape", p, [Linear(g, $"{p}.{proj}", x), split])], Ints("perm", perm));
        var q = Heads("q_proj", [0, 2, 1, 3]);                                                                         // (B, H, T, hd)
        var kT = Heads("k_proj", [0, 2, 3, 1]);                                                                        // (B, H, hd, T)
        var v = Heads("v_proj", [0, 2, 1, 3]);                                                                         // (B, H, T, hd)
        var scores = g.Node("Mul", p, [g.Node("MatMul", p, [q, kT]), g.Scalar($"{p}/scale", 1f / MathF.Sqrt(headDim))]);
        var probs = g.Node("Softmax", p, [scores], Int("axis", -1));                                                   // (B, H, T, T)
        var o = g.Node("Transpose", p, [g.Node("MatMul", p, [probs, v])], Ints("perm", 0, 2, 1, 3));                   // (B, T, H, hd)
        var merged = g.Node("Reshape", p, [o, g.Int64s($"{p}/merge_heads_shape", 0, 0, width)]);                       // (B, T, C)
        return Linear(g, $"{p}.out_proj", merged);
    }

    /// <summary>x Wᵀ + b with W (out, in) and b as the state dict names them (<c>{p}.weight</c>, <c>{p}.bias</c>).</summary>
    static string Linear(OnnxGraphBuilder g, string p, string x)
    {
        var wT = g.Node("Transpose", p, [$"{p}.weight"], Ints("perm", 1, 0));
        return g.Node("Add", p, [g.Node("MatMul", p, [x, wT]), $"{p}.bias"]);
    }

    static string LayerNorm(OnnxGraphBuilder g, string p, Tensors.Nn.LayerNorm norm, string x) =>
        g.Node("LayerNormalization", p, [x, $"{p}.weight", $"{p}.bias"], Int("axis", -1), Float("epsilon", norm.Eps));

    /// <summary>Exact GELU: x·½(1 + erf(x/√2)).</summary>
    static string Gelu(OnnxGraphBuilder g, string p, string x)
    {
        var erf = g.Node("Erf", p, [g.Node("Mul", p, [x, g.Scalar($"{p}/inv_sqrt2", 1f / MathF.Sqrt(2f))])]);
        var onePlus = g.Node("Add", p, [erf, g.Scalar($"{p}/one", 1f)]);
        return g.Node("Mul", p, [g.Node("Mul", p, [x, onePlus]), g.Scalar($"{p}/half", 0.5f)]);
    }

    /// <summary>Indices of the K largest logits per row (ties to the lower index), then sorted ascending: (B, K) int64.</summary>
    static string KeptIndices(OnnxGraphBuilder g, string logits, int keep)
    {
        var k = g.Int64s("topk/k", keep);
        var top = g.Node("TopK", "topk", [logits, k], 2, Int("axis", -1), Int("largest", 1), Int("sorted", 1));
        return g.Node("TopK", "topk", [top[1], k], 2, Int("axis", -1), Int("largest", 0), Int("sorted", 1))[0];
    }
}
