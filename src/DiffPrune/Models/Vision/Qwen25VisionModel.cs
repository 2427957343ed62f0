using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Vision;

// Legend: N = patches of one image, P = in_chans · temporal_patch_size · patch² (one flattened patch), d = hidden size,
// u = m² patches per merged unit, N/u = output tokens, E = out_hidden_size.

/// <summary>Merged visual tokens of one image.</summary>
/// <param name="Tokens">(N/u, E): token j is merged unit j, row-major over the merged grid (see <see cref="Qwen25PatchGrid.TokenAt"/>).</param>
/// <param name="Grid">The patch grid they came from.</param>
public sealed record Qwen25VisionOutput(Tensor Tokens, Qwen25PatchGrid Grid)
{
    /// <summary>
    /// Per merged token, the attention its patches receive in the last block, averaged over heads, queries and the unit's
    /// m² patches (VisPruner's and VisionZip's stand-in for CLS attention in a tower without a CLS token); null unless asked for.
    /// </summary>
    public float[]? GlobalAttention { get; init; }
}

/// <summary>HF <c>Qwen2_5_VisionPatchEmbed</c>: a Conv3d with stride = kernel and no bias, run as one linear map over flattened patches (the same sums).</summary>
public sealed class Qwen25PatchEmbed : Module
{
    /// <summary>Holder of <c>proj.weight</c> (d, in_chans, temporal_patch_size, p, p).</summary>
    public Conv3dWeight Proj { get; }

    /// <summary>Creates the weight.</summary>
    public Qwen25PatchEmbed(Qwen25VisionConfig cfg, Generator gen) => Proj = Child("proj", new Conv3dWeight(cfg, gen));

    /// <summary>patches (N, P) → (N, d).</summary>
    public Tensor Forward(Tensor patches) => F.Linear(patches, Proj.Weight.Reshape(Proj.Weight.Shape[0], -1));
}

/// <summary>The Conv3d's weight in PyTorch's layout; flattened, its rows are (channel, frame, y, x) like a patch vector.</summary>
public sealed class Conv3dWeight : Module
{
    /// <summary>(d, in_chans, temporal_patch_size, p, p).</summary>
    public Tensor Weight { get; }

    /// <summary>Creates the weight (PyTorch's conv default: U(±1/√fan_in)).</summary>
    public Conv3dWeight(Qwen25VisionConfig cfg, Generator gen)
    {
        float bound = 1f / MathF.Sqrt(cfg.PatchVectorSize);
        Weight = Parameter("weight", Tensor.Rand(gen, [cfg.HiddenSize, cfg.InChannels, cfg.TemporalPatchSize, cfg.PatchSize, cfg.PatchSize], -bound, bound));
    }
}

/// <summary>HF <c>Qwen2_5_VLPatchMerger</c>: RMSNorm each patch (<c>ln_q</c>), concatenate each merge group's u patches, MLP u·d → u·d → E with exact GELU.</summary>
public sealed class Qwen25PatchMerger : Module
{
    readonly int _unitWidth;

    /// <summary>Norm over d.</summary>
    public RmsNorm LnQ { get; }
    /// <summary><c>mlp.0</c> and <c>mlp.2</c> (HF's nn.Sequential with the GELU at index 1).</summary>
    public MergerMlp Mlp { get; }

    /// <summary>Creates the merger.</summary>
    public Qwen25PatchMerger(Qwen25VisionConfig cfg, Generator gen)
    {
        _unitWidth = cfg.MergeUnit * cfg.HiddenSize;
        LnQ = Child("ln_q", new RmsNorm(cfg.HiddenSize, Qwen25VisionConfig.RmsNormEps));
        Mlp = Child("mlp", new MergerMlp(_unitWidth, cfg.OutHiddenSize, gen));
    }

    /// <summary>x (1, N, d), merge groups contiguous → (N/u, E).</summary>
    public Tensor Forward(Tensor x) => Mlp.Forward(LnQ.Forward(x).Reshape(-1, _unitWidth));
}

/// <summary>The merger's two linear layers under HF's sequential indices 0 and 2.</summary>
public sealed class MergerMlp : Module
{
    /// <summary>u·d → u·d (<c>mlp.0</c>).</summary>
    public Linear Fc1 { get; }
    /// <summary>u·d → E (<c>mlp.2</c>).</summary>
    public Linear Fc2 { get; }

    /// <summary>Creates the layers.</summary>
    public MergerMlp(int width, int outWidth, Generator gen)
    {
        Fc1 = Child("0", new Linear(width, width, true, gen));
        Fc2 = Child("2", new Linear(width, outWidth, true, gen));
    }

    /// <summary>(..., u·d) → (..., E).</summary>
    public Tensor Forward(Tensor x) => Fc2.Forward(Fc1.Forward(x).Gelu());
}

/// <summary>
/// Qwen2.5-VL's vision tower (HF <c>Qwen2_5_VisionTransformerPretrainedModel</c>) for one image at native resolution:
/// patch embedding, blocks with 2-D rotary embeddings attending within windows (or over the whole image in
/// <see cref="Qwen25VisionConfig.FullAttentionBlocks"/>), and the merger of each m × m group of patches into one token.
/// Departure from HF's code, same numbers: HF sorts the patches window by window so each window is a contiguous
/// cu_seqlens segment and sorts the merged tokens back afterwards; here the patches stay in the processor's order and a
/// windowed block attends under a block-diagonal mask (<see cref="AttentionMask.Segments"/>, one segment per window).
/// Every other step acts on each patch alone, so the order does not change them. The price: a windowed block still
/// computes all N² scores (and holds an N × N mask), where HF's per-window attention computes N · window.
/// </summary>
public sealed class Qwen25VisionModel : Module
{
    /// <summary>The configuration.</summary>
    public Qwen25VisionConfig Config { get; }
    /// <summary>Conv3d patch embedding (<c>patch_embed</c>).</summary>
    public Qwen25PatchEmbed PatchEmbed { get; }
    /// <summary>The blocks (<c>blocks.N</c>).</summary>
    public ModuleList<Qwen25VisionBlock> Blocks { get; }
    /// <summary>Patch merger (<c>merger</c>).</summary>
    public Qwen25PatchMerger Merger { get; }

    /// <summary>Creates the model with random weights.</summary>
    /// <exception cref="ArgumentException">An inconsistent <paramref name="cfg"/> (see <see cref="Qwen25VisionConfig.Validate"/>).</exception>
    public Qwen25VisionModel(Qwen25VisionConfig cfg, Generator gen)
    {
        Config = cfg.Validate();
        PatchEmbed = Child("patch_embed", new Qwen25PatchEmbed(cfg, gen));
        Blocks = Child("blocks", new ModuleList<Qwen25VisionBlock>(Enumerable.Range(0, cfg.Depth).Select(_ => new Qwen25VisionBlock(cfg, gen))));
        Merger = Child("merger", new Qwen25PatchMerger(cfg, gen));
    }

    /// <summary>Encodes pixels (in_chans, R·p, C·p), already resized and normalised, as a grid of R × C patches.</summary>
    /// <exception cref="ArgumentException">A grid that cannot be merged, or pixels of another shape.</exception>
    public Qwen25VisionOutput Encode(Tensor pixels) => Encode(pixels, globalAttention: false);

    /// <summary>As <see cref="Encode(Tensor)"/>, with each merged token's <see cref="Qwen25VisionOutput.GlobalAttention"/> when
    /// <paramref name="globalAttention"/>.</summary>
    /// <exception cref="ArgumentException">A grid that cannot be merged, or pixels of another shape.</exception>
    public Qwen25VisionOutput Encode(Tensor pixels, bool globalAttention)
    {
        var (patches, grid) = Patches(pixels);
        var (hidden, probs) = Hidden(patches, grid, globalAttention);
        return new Qwen25VisionOutput(Merger.Forward(hidden), grid) { GlobalAttention = probs == null ? null : GlobalAttention(probs, Config.SpatialMergeSize * Config.SpatialMergeSize) };
    }

    /// <summary>Per merged unit of <paramref name="unit"/> contiguous patches, the mean over heads, queries and its patches of
    /// the attention probabilities (1, H, N, N) its patches receive.</summary>
    static float[] GlobalAttention(Tensor probs, int unit)
    {
        int heads = probs.Shape[1], n = probs.Shape[2];
        var received = new double[n];
        var data = probs.Data;
        for (int row = 0; row < heads * n; row++)
        {
            var p = data.Slice(row * n, n);
            for (int j = 0; j < n; j++) received[j] += p[j];
        }
        return Enumerable.Range(0, n / unit).Select(t => (float)(Enumerable.Range(t * unit, unit).Sum(j => received[j]) / ((double)heads * n * unit))).ToArray();
    }

    /// <summary>As <see cref="Encode(Tensor)"/> without the merger: the last block's output (1, R·C, d) in the grid's patch order, and
    /// the grid (a merger trained apart from a frozen tower runs on these).</summary>
    /// <exception cref="ArgumentException">A grid that cannot be merged, or pixels of another shape.</exception>
    public (Tensor Hidden, Qwen25PatchGrid Grid) EncodeHidden(Tensor pixels)
    {
        var (patches, grid) = Patches(pixels);
        return (Hidden(patches, grid), grid);
    }

    (Tensor Patches, Qwen25PatchGrid Grid) Patches(Tensor pixels)
    {
        int p = Config.PatchSize;
        if (pixels.Rank != 3) throw new ArgumentException($"qwen2.5-vl vision: expects pixels (channels, height, width), got {ShapeUtil.Format(pixels.Shape)}");
        var grid = Config.Grid(pixels.Shape[1] / p, pixels.Shape[2] / p);
        return (grid.Patchify(pixels, Config.InChannels, p, Config.TemporalPatchSize), grid);
    }

    /// <summary>patches (N, P) in <paramref name="grid"/>'s order (HF's <c>pixel_values</c> of one image) → merged tokens.</summary>
    /// <exception cref="ArgumentException">patches not (N, P) for the grid.</exception>
    public Qwen25VisionOutput Forward(Tensor patches, Qwen25PatchGrid grid) => new(Merger.Forward(Hidden(patches, grid)), grid);

    /// <summary>patches (N, P) → the last block's output (1, N, d).</summary>
    Tensor Hidden(Tensor patches, Qwen25PatchGrid grid) => Hidden(patches, grid, lastProbs: false).Hidden;

    /// <summary>patches (N, P) → the last block's output (1, N, d) and, when <paramref name="lastProbs"/>, its attention probabilities (1, H, N, N).</summary>
    (Tensor Hidden, Tensor? Probs) Hidden(Tensor patches, Qwen25PatchGrid grid, bool lastProbs)
    {
        if (patches.Rank != 2 || patches.Shape[0] != grid.Patches || patches.Shape[1] != Config.PatchVectorSize)
            throw new ArgumentException($"qwen2.5-vl vision: a {grid.Rows} × {grid.Cols} grid needs patches ({grid.Patches}, {Config.PatchVectorSize}), got {ShapeUtil.Format(patches.Shape)}");
        var rows = new int[grid.Patches];
        var cols = new int[grid.Patches];
        for (int i = 0; i < grid.Patches; i++) (rows[i], cols[i]) = grid.PatchAt(i);
        var windows = AttentionMask.Segments(grid.WindowIds(Config.WindowMergedUnits), 1).Cached(); // built once, shared by the windowed blocks
        var h = PatchEmbed.Forward(patches).Reshape(1, grid.Patches, Config.HiddenSize);   // (1, N, d)
        Tensor? probs = null;
        for (int l = 0; l < Config.Depth; l++)
        {
            // without autograd a block's intermediates go back to the pool when it is done (as in the decoder)
            using var blockBuffers = Autograd.IsEnabled ? null : TensorScope.Begin();
            (h, probs) = Blocks[l].Forward(h, rows, cols, Config.FullAttentionBlocks.Contains(l) ? null : windows, lastProbs && l == Config.Depth - 1);
            blockBuffers?.Keep(h);
            if (probs != null) blockBuffers?.Keep(probs);
        }
        return (h, probs);
    }
}
