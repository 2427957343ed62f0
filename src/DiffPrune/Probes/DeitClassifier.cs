using DiffPrune.Models.Vision;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Probes;

/// <summary>
/// A DeiT-style ViT classifier (Touvron et al. 2021): patch embedding, a CLS token, learned positions, pre-norm blocks,
/// a final norm and a linear head on CLS. The probe splits its forward pass where the paper inserts the scorer: between
/// the patch embedding (<see cref="PatchTokens"/>) and the encoder (<see cref="Classify"/>, <see cref="ClassifyKept"/>).
/// B = batch, N = patch tokens, d = width, C = classes.
/// </summary>
public sealed class DeitClassifier : Module
{
    /// <summary>Shape of the ViT (channels, image and patch size, width, depth, heads).</summary>
    public VisionConfig Config { get; }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>The patch-embedding conv, as one GEMM over flattened patches.</summary>
    public PatchEmbedding PatchEmbed { get; }

    /// <summary>(d).</summary>
    public Tensor ClsToken { get; }

    /// <summary>(1 + N, d): CLS position first.</summary>
    public Tensor PosEmbed { get; }

    /// <summary>The encoder.</summary>
    public ModuleList<TransformerBlock> Blocks { get; }

    /// <summary>Norm before the head.</summary>
    public LayerNorm Norm { get; }

    /// <summary>d → C on the CLS token.</summary>
    public Linear Head { get; }

    /// <summary>A classifier with random weights (positions and CLS ~ N(0, 0.02²), as DeiT initialises them).</summary>
    public DeitClassifier(VisionConfig config, int classes, Generator gen)
    {
        Config = config.Validate();
        if (classes < 2) throw new ArgumentException($"a classifier needs at least 2 classes (got {classes})");
        Classes = classes;
        int d = config.HiddenSize;
        PatchEmbed = Child("patch_embed", new PatchEmbedding(config, gen));
        ClsToken = Parameter("cls_token", Tensor.Randn(gen, [d], 0f, 0.02f));
        PosEmbed = Parameter("pos_embed", Tensor.Randn(gen, [config.NumPatches + 1, d], 0f, 0.02f));
        Blocks = Child("blocks", new ModuleList<TransformerBlock>(Enumerable.Range(0, config.NumLayers)
            .Select(_ => new TransformerBlock(d, config.NumHeads, config.IntermediateSize, config.HiddenAct, gen, config.LayerNormEps))));
        Norm = Child("norm", new LayerNorm(d, config.LayerNormEps));
        Head = Child("head", new Linear(d, classes, true, gen));
    }

    /// <summary>Patch embeddings (B, N, d) of pixels (B, channels, H, W), without positions: the tokens a scorer sees and a throttler attenuates.</summary>
    public Tensor PatchTokens(Tensor pixels) => PatchEmbed.Forward(pixels);

    /// <summary>Patch tokens (B, N, d) plus their position embeddings.</summary>
    public Tensor WithPositions(Tensor tokens) => tokens.Add(PosEmbed.Slice(0, 1, Config.NumPatches + 1));

    /// <summary>
    /// Class logits (B, C) from all N patch tokens (B, N, d). With <paramref name="keyWeights"/> (B, N) every attention
    /// layer weights the patch keys by them (CLS keeps weight 1): a 0/1 mask makes the encoder see only the weight-1 tokens,
    /// exactly as if the others were dropped, while gradients still reach every weight (DynamicViT's attention policy).
    /// </summary>
    public Tensor Classify(Tensor tokens, Tensor? keyWeights = null)
    {
        int b = tokens.Shape[0];
        Tensor? weights = keyWeights == null ? null : Tensor.Cat([Tensor.Ones(b, 1), keyWeights], 1);   // (B, 1 + N)
        return Encode(WithPositions(tokens), weights);
    }

    /// <summary>Class logits (B, C) when only the tokens <paramref name="kept"/>[b] of sample b reach the encoder (hard
    /// pruning: the ViT sees fewer tokens, each with its own position embedding). Every row must keep equally many.</summary>
    public Tensor ClassifyKept(Tensor tokens, int[][] kept)
    {
        int b = tokens.Shape[0], d = tokens.Shape[2], k = kept[0].Length;
        if (kept.Length != b || kept.Any(r => r.Length != k))
            throw new ArgumentException($"kept indices must give {b} rows of one length for tokens {tokens.Describe()}");
        var index = new int[b * k * d];
        for (int r = 0; r < b; r++)
            for (int j = 0; j < k; j++)
                Array.Fill(index, kept[r][j], (r * k + j) * d, d);
        return Encode(WithPositions(tokens).Gather(1, new IntTensor(index, b, k, d)), null);
    }

    /// <summary>Logits (B, C) of pixels (B, channels, H, W): every token, no pruning.</summary>
    public Tensor Forward(Tensor pixels) => Classify(PatchTokens(pixels));

    // tokens (B, T, d) with positions → prepend CLS (+ its position) → blocks → norm → head(CLS)
    Tensor Encode(Tensor positioned, Tensor? keyWeights)
    {
        int b = positioned.Shape[0], d = Config.HiddenSize;
        var cls = ClsToken.Add(PosEmbed.Slice(0, 0, 1).Reshape(d)).Reshape(1, 1, d).Expand(b, 1, d);
        var h = Tensor.Cat([cls, positioned], 1);                                                        // (B, 1 + T, d)
        foreach (var block in Blocks.Items) h = block.Forward(h, keyWeights: keyWeights).Output;
        return Head.Forward(Norm.Forward(h.Slice(1, 0, 1).Reshape(b, d)));
    }
}
