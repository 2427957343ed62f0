namespace DiffPrune.Models.Llama;

/// <summary>
/// Shape of a LLaMA decoder (Hugging Face <c>LlamaConfig</c> field meanings). Defaults are
/// stories260K's, the smallest real LLaMA we ship tests for.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>Vocabulary size.</summary>
    public int VocabSize { get; init; } = 512;
    /// <summary>Model width d.</summary>
    public int HiddenSize { get; init; } = 64;
    /// <summary>SwiGLU inner width.</summary>
    public int IntermediateSize { get; init; } = 172;
    /// <summary>Number of decoder layers.</summary>
    public int NumLayers { get; init; } = 5;
    /// <summary>Query heads.</summary>
    public int NumHeads { get; init; } = 8;
    /// <summary>Key/value heads (grouped-query attention when fewer than query heads).</summary>
    public int NumKvHeads { get; init; } = 4;
    /// <summary>RMSNorm epsilon (LLaMA: 1e-5 in llama2.c, 1e-6 in some HF checkpoints).</summary>
    public float RmsNormEps { get; init; } = 1e-5f;
    /// <summary>RoPE base.</summary>
    public float RopeTheta { get; init; } = 10000f;
    /// <summary>Output head shares the token embedding (llama2.c's positive vocab_size).</summary>
    public bool TieWordEmbeddings { get; init; } = true;
    /// <summary>Longest sequence the model was trained for (informational; RoPE itself has no limit).</summary>
    public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>Biases on q_proj, k_proj and v_proj, not o_proj (Qwen2; LLaMA has none).</summary>
    public bool AttentionBias { get; init; }
    /// <summary>
    /// M-RoPE (Qwen2-VL, Qwen2.5-VL): how many frequency pairs of a head take their angle from the temporal, height and
    /// width position planes (Qwen2.5-VL-7B: [16, 24, 24], summing to <see cref="HeadDim"/>/2); null for ordinary RoPE.
    /// </summary>
    public int[]? MropeSection { get; init; }

    /// <summary>Width of one head.</summary>
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Throws when the shape is inconsistent (names the field).</summary>
    public LlamaConfig Validate()
    {
        void Need(bool ok, string what) { if (!ok) throw new ArgumentException($"LLaMA config: {what}"); }
        Need(VocabSize > 0 && HiddenSize > 0 && IntermediateSize > 0 && NumLayers >= 0, "sizes must be positive");
        Need(NumHeads > 0 && HiddenSize % NumHeads == 0, $"hidden_size {HiddenSize} is not divisible by num_attention_heads {NumHeads}");
        Need(NumKvHeads > 0 && NumHeads % NumKvHeads == 0, $"num_attention_heads {NumHeads} is not a multiple of num_key_value_heads {NumKvHeads}");
        Need(HeadDim % 2 == 0, $"head dim {HeadDim} must be even for RoPE");
        // a zero or negative eps divides by zero on an all-zero row; a non-positive θ makes RoPE's angles NaN
        Need(float.IsFinite(RmsNormEps) && RmsNormEps > 0, $"rms_norm_eps {RmsNormEps} must be a positive number");
        Need(float.IsFinite(RopeTheta) && RopeTheta > 1, $"rope_theta {RopeTheta} must be a number above 1");
        Need(MaxPositionEmbeddings > 0, $"max_position_embeddings {MaxPositionEmbeddings} must be positive");
        Need(MropeSection is null || (MropeSection.Length == 3 && MropeSection.All(n => n >= 0) && MropeSection.Sum() == HeadDim / 2),
            $"mrope_section [{string.Join(", ", MropeSection ?? [])}] must be three counts of frequency pairs (temporal, height, width) summing to head dim / 2 = {HeadDim / 2}");
        return this;
    }

    /// <summary>Parameter count (without allocating weights).</summary>
    /// <exception cref="OverflowException">The shape is too large to count in 64 bits (a crafted config).</exception>
    public long ParameterCount()
    {
        checked
        {
            long d = HiddenSize, kv = (long)NumKvHeads * HeadDim;
            long perLayer = d * d * 2 + d * kv * 2 + 3 * d * IntermediateSize + 2 * d + (AttentionBias ? d + 2 * kv : 0);
            return VocabSize * d * (TieWordEmbeddings ? 1 : 2) + NumLayers * perLayer + d;
        }
    }

    /// <summary>FLOPs (multiply-adds × 2) of a prefill of <paramref name="tokens"/> tokens, without the LM head.</summary>
    public double PrefillFlops(int tokens) => NumLayers * LayerFlops(tokens);

    /// <summary>
    /// FLOPs of one decoder layer on <paramref name="tokens"/> tokens: q/k/v/o projections 2·T·(2d² + 2d·d_kv)
    /// (grouped-query attention: k and v project to d_kv = KV heads × head dim only), the q/k/v bias additions
    /// T·(d + 2·d_kv) when <see cref="AttentionBias"/>, attention scores and weighted sum 2·2·T²·d (every query head
    /// scores every key, whatever the KV heads it shares; full, un-masked count), SwiGLU MLP 2·T·3·d·d_ff.
    /// </summary>
    public double LayerFlops(int tokens)
    {
        double d = HiddenSize, kv = (double)NumKvHeads * HeadDim, t = tokens;
        double projections = 2 * t * (d * d * 2 + d * kv * 2);
        double biases = AttentionBias ? t * (d + 2 * kv) : 0;
        double attention = 2 * 2 * t * t * d;
        double mlp = 2 * t * 3 * d * IntermediateSize;
        return projections + biases + attention + mlp;
    }
}
