using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;

namespace DiffPrune.Models.Vlm;

/// <summary>
/// A Qwen2.5-VL-style VLM (HF <c>Qwen2_5_VLConfig</c>): the native-resolution vision tower, whose patch merger is the
/// projector, and a Qwen2 language model with M-RoPE. An image enters the prompt as <c>&lt;|vision_start|&gt;</c>, one
/// <c>&lt;|image_pad|&gt;</c> per merged token, <c>&lt;|vision_end|&gt;</c>. Token ids default to Qwen2.5-VL's vocabulary.
/// </summary>
public sealed record Qwen25VlConfig
{
    /// <summary>The vision tower (<c>vision_config</c>).</summary>
    public Qwen25VisionConfig Vision { get; init; } = new();
    /// <summary>The language model (top-level text keys, or <c>text_config</c>); needs <see cref="LlamaConfig.MropeSection"/>.</summary>
    public LlamaConfig Text { get; init; } = new();
    /// <summary>The placeholder each merged visual token takes in the prompt (<c>image_token_id</c>).</summary>
    public int ImageTokenId { get; init; } = 151655;
    /// <summary>The token before an image's placeholders (<c>vision_start_token_id</c>).</summary>
    public int VisionStartTokenId { get; init; } = 151652;
    /// <summary>The token after an image's placeholders (<c>vision_end_token_id</c>).</summary>
    public int VisionEndTokenId { get; init; } = 151653;

    /// <summary>Throws when inconsistent, naming the key at fault.</summary>
    /// <exception cref="ArgumentException">An invalid tower or language model, merged tokens of another width than the
    /// language model's, no M-RoPE sections, or special token ids that are outside the vocabulary or equal.</exception>
    public Qwen25VlConfig Validate()
    {
        Vision.Validate();
        Text.Validate();
        if (Vision.OutHiddenSize != Text.HiddenSize)
            throw new ArgumentException($"qwen2.5-vl config: vision_config.out_hidden_size {Vision.OutHiddenSize} must equal the language model's hidden_size {Text.HiddenSize} (the merger's tokens are its input embeddings)");
        if (Text.MropeSection == null)
            throw new ArgumentException("qwen2.5-vl config: the language model needs rope_scaling.mrope_section (M-RoPE: temporal, height, width), e.g. [16, 24, 24]");
        foreach (var (key, id) in new[] { ("image_token_id", ImageTokenId), ("vision_start_token_id", VisionStartTokenId), ("vision_end_token_id", VisionEndTokenId) })
            if (id < 0 || id >= Text.VocabSize)
                throw new ArgumentException($"qwen2.5-vl config: {key} {id} is outside the vocabulary 0..{Text.VocabSize - 1}");
        if (ImageTokenId == VisionStartTokenId || ImageTokenId == VisionEndTokenId || VisionStartTokenId == VisionEndTokenId)
            throw new ArgumentException($"qwen2.5-vl config: image_token_id {ImageTokenId}, vision_start_token_id {VisionStartTokenId} and vision_end_token_id {VisionEndTokenId} must differ");
        return this;
    }

    /// <summary>Total parameters without allocating weights (the tower's, merger included, and the language model's).</summary>
    /// <exception cref="OverflowException">The shape is too large to count in 64 bits (a crafted config).</exception>
    public long ParameterCount() => checked(Vision.ParameterCount() + Text.ParameterCount());

    /// <summary>Qwen2.5-VL-7B-Instruct's shapes: the 32-block tower (1280 wide, merged to 3584) and the 28-layer Qwen2
    /// (d = 3584, GQA 28/4, vocabulary 152,064, untied head, M-RoPE [16, 24, 24]).</summary>
    public static Qwen25VlConfig Qwen25Vl7B() => new()
    {
        Vision = new Qwen25VisionConfig(),
        Text = new LlamaConfig
        {
            VocabSize = 152064,
            HiddenSize = 3584,
            IntermediateSize = 18944,
            NumLayers = 28,
            NumHeads = 28,
            NumKvHeads = 4,
            RmsNormEps = 1e-6f,
            RopeTheta = 1e6f,
            TieWordEmbeddings = false,
            MaxPositionEmbeddings = 128000,
            AttentionBias = true,
            MropeSection = [16, 24, 24],
        },
    };
}
