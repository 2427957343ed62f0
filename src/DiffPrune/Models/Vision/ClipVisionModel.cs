using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Vision;

/// <summary>Hidden states of every computed layer and, when asked, their attention probabilities.</summary>
/// <param name="HiddenStates">[0] = embeddings after pre_layrnorm, [l] = output of layer l; each (B, 1 + N, d_v), CLS first.</param>
/// <param name="Attentions">Per computed layer (B, H, 1 + N, 1 + N), or null.</param>
public sealed record VisionOutput(IReadOnlyList<Tensor> HiddenStates, IReadOnlyList<Tensor>? Attentions);

/// <summary>Patch embedding (a conv with stride = kernel = patch, no bias), CLS token and learned positions.</summary>
public sealed class ClipVisionEmbeddings : Module
{
    readonly VisionConfig _cfg;

    /// <summary>(d).</summary>
    public Tensor ClassEmbedding { get; }
    /// <summary>Conv weight holder: <c>patch_embedding.weight</c> (d, C, p, p).</summary>
    public PatchEmbedding PatchEmbedding { get; }
    /// <summary>(1 + N, d) positions.</summary>
    public Embedding PositionEmbedding { get; }

    /// <summary>Creates the embeddings.</summary>
    public ClipVisionEmbeddings(VisionConfig cfg, Generator gen)
    {
        _cfg = cfg;
        ClassEmbedding = Parameter("class_embedding", Tensor.Randn(gen, [cfg.HiddenSize], 0f, 0.02f));
        PatchEmbedding = Child("patch_embedding", new PatchEmbedding(cfg, gen));
        PositionEmbedding = Child("position_embedding", new Embedding(cfg.NumPatches + 1, cfg.HiddenSize, gen, std: 0.02f));
    }

    /// <summary>pixels (B, C, H, W) → (B, 1 + N, d).</summary>
    public Tensor Forward(Tensor pixels)
    {
        var patches = PatchEmbedding.Forward(pixels);                            // (B, N, d)
        int b = patches.Shape[0];
        var cls = ClassEmbedding.Reshape(1, 1, _cfg.HiddenSize).Expand(b, 1, _cfg.HiddenSize);
        return Tensor.Cat([cls, patches], 1).Add(PositionEmbedding.Weight);    // + (1 + N, d) broadcast
    }
}

/// <summary>The patch-embedding conv as a linear map over flattened patches (identical result, one GEMM).</summary>
public sealed class PatchEmbedding : Module
{
    readonly VisionConfig _cfg;

    /// <summary>(d, C, p, p), HF/PyTorch conv layout.</summary>
    public Tensor Weight { get; }

    /// <summary>Creates the weight (PyTorch conv default init).</summary>
    public PatchEmbedding(VisionConfig cfg, Generator gen)
    {
        _cfg = cfg;
        int fanIn = cfg.NumChannels * cfg.PatchSize * cfg.PatchSize;
        float bound = 1f / MathF.Sqrt(fanIn);
        Weight = Parameter("weight", Tensor.Rand(gen, [cfg.HiddenSize, cfg.NumChannels, cfg.PatchSize, cfg.PatchSize], -bound, bound));
    }

    /// <summary>pixels (B, C, H, W) → (B, N, d); no gradient flows to the pixels.</summary>
    public Tensor Forward(Tensor pixels)
    {
        var patches = Patchify(pixels, _cfg);
        return F.Linear(patches, Weight.Reshape(_cfg.HiddenSize, -1));
    }

    /// <summary>(B, C, H, W) → (B, N, C·p·p): patches in row-major grid order, each flattened as (c, y, x) like the conv weight.</summary>
    public static Tensor Patchify(Tensor pixels, VisionConfig cfg)
    {
        int c = cfg.NumChannels, p = cfg.PatchSize, g = cfg.GridSize, s = cfg.ImageSize;
        if (pixels.Rank != 4 || pixels.Shape[1] != c || pixels.Shape[2] != s || pixels.Shape[3] != s)
            throw new ArgumentException($"vision tower expects pixels (batch, {c}, {s}, {s}), got {ShapeUtil.Format(pixels.Shape)}");
        int b = pixels.Shape[0];
        var outT = Tensor.Zeros(b, g * g, c * p * p);
        var src = pixels.Data;
        var dst = outT.Data;
        int i = 0;
        for (int bi = 0; bi < b; bi++)
            for (int gy = 0; gy < g; gy++)
                for (int gx = 0; gx < g; gx++)
                    for (int ch = 0; ch < c; ch++)
                        for (int y = 0; y < p; y++)
                        {
                            src.Slice(((bi * c + ch) * s + gy * p + y) * s + gx * p, p).CopyTo(dst.Slice(i, p));
                            i += p;
                        }
        return outT;
    }
}

/// <summary>The encoder stack (<c>encoder.layers.N</c>).</summary>
public sealed class ClipEncoder : Module
{
    /// <summary>The pre-norm blocks.</summary>
    public ModuleList<TransformerBlock> Layers { get; }

    /// <summary>Creates the stack.</summary>
    public ClipEncoder(VisionConfig cfg, Generator gen) =>
        Layers = Child("layers", new ModuleList<TransformerBlock>(Enumerable.Range(0, cfg.NumLayers)
            .Select(_ => new TransformerBlock(cfg.HiddenSize, cfg.NumHeads, cfg.IntermediateSize, cfg.HiddenAct, gen, cfg.LayerNormEps))));
}

/// <summary>CLIP's vision transformer (HF <c>CLIPVisionTransformer</c>): embeddings, pre_layrnorm, encoder, post_layernorm.</summary>
public sealed class ClipVisionTransformer : Module
{
    /// <summary>The configuration.</summary>
    public VisionConfig Config { get; }
    /// <summary>Patch + CLS + position embeddings.</summary>
    public ClipVisionEmbeddings Embeddings { get; }
    /// <summary>Norm before the encoder (HF spells it pre_layrnorm).</summary>
    public LayerNorm PreLayerNorm { get; }
    /// <summary>The blocks.</summary>
    public ClipEncoder Encoder { get; }
    /// <summary>Norm of the pooled CLS output.</summary>
    public LayerNorm PostLayerNorm { get; }

    /// <summary>Creates the model with random weights.</summary>
    public ClipVisionTransformer(VisionConfig cfg, Generator gen)
    {
        Config = cfg.Validate();
        Embeddings = Child("embeddings", new ClipVisionEmbeddings(cfg, gen));
        PreLayerNorm = Child("pre_layrnorm", new LayerNorm(cfg.HiddenSize, cfg.LayerNormEps));
        Encoder = Child("encoder", new ClipEncoder(cfg, gen));
        PostLayerNorm = Child("post_layernorm", new LayerNorm(cfg.HiddenSize, cfg.LayerNormEps));
    }

    /// <summary>
    /// Encodes pixels (B, C, H, W). <paramref name="layers"/> limits how many blocks run (LLaVA reads layer −2,
    /// so the last block need not run); attentions are returned when asked.
    /// </summary>
    public VisionOutput Forward(Tensor pixels, int? layers = null, bool outputAttentions = false)
    {
        int n = layers ?? Config.NumLayers;
        if (n < 0 || n > Config.NumLayers) throw new ArgumentOutOfRangeException(nameof(layers), $"vision tower has {Config.NumLayers} layers, {n} requested");
        var h = PreLayerNorm.Forward(Embeddings.Forward(pixels));
        var states = new List<Tensor> { h };
        var attns = outputAttentions ? new List<Tensor>() : null;
        for (int l = 0; l < n; l++)
        {
            // without autograd a block's intermediates go back to the pool when it is done (as in the decoder)
            using var blockBuffers = Autograd.IsEnabled ? null : TensorScope.Begin();
            var (next, probs) = Encoder.Layers[l].Forward(h, returnProbs: outputAttentions);
            h = next;
            blockBuffers?.Keep(h);
            if (probs != null) blockBuffers?.Keep(probs);
            states.Add(h);
            if (probs != null) attns!.Add(probs);
        }
        return new VisionOutput(states, attns);
    }

    /// <summary>post_layernorm(CLS of the last layer): the pooled image embedding (B, d).</summary>
    public Tensor Pooled(VisionOutput output)
    {
        var last = output.HiddenStates[^1];
        return PostLayerNorm.Forward(last.Slice(1, 0, 1).Reshape(last.Shape[0], last.Shape[2]));
    }
}

/// <summary>HF <c>CLIPVisionModel</c>: a holder of <c>vision_model</c> (so tensor names match llava-hf's <c>vision_tower.vision_model.*</c>).</summary>
public sealed class ClipVisionModel : Module
{
    /// <summary>The transformer.</summary>
    public ClipVisionTransformer VisionModel { get; }

    /// <summary>Creates the model.</summary>
    public ClipVisionModel(VisionConfig cfg, Generator gen) => VisionModel = Child("vision_model", new ClipVisionTransformer(cfg, gen));
}
