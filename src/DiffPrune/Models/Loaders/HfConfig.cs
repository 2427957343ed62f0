using System.Text.Json;
using System.Text.Json.Nodes;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Loaders;

/// <summary>
/// Hugging Face <c>config.json</c> for LLaVA (<c>model_type: llava</c>), LLaVA-NeXT (<c>llava_next</c>: also
/// <c>image_grid_pinpoints</c>), LLaMA (<c>model_type: llama</c>) and Qwen2 language models (<c>qwen2</c>, and the text
/// part of <c>qwen2_vl</c> / <c>qwen2_5_vl</c>: biases on q, k and v, M-RoPE from <c>rope_scaling.mrope_section</c>).
/// Missing fields take Hugging Face's defaults; unknown keys are errors (bookkeeping keys such as
/// <c>torch_dtype</c> or <c>bos_token_id</c> are recognised and ignored), so a typo never passes silently.
/// </summary>
public static partial class HfConfig
{
    static readonly HashSet<string> Bookkeeping =
    [
        "architectures", "model_type", "torch_dtype", "transformers_version", "bos_token_id", "eos_token_id", "pad_token_id",
        "_name_or_path", "use_cache", "initializer_range", "initializer_factor", "attention_dropout", "dropout",
        "mlp_bias", "pretraining_tp", "projection_dim", "ignore_index", "vision_feature_select_strategy",
        "image_seq_length", "multimodal_projector_bias", "hidden_act", "head_dim", "tie_word_embeddings",
    ];

    /// <summary>Keys of the published configs that say nothing this model uses: the CLIP text vocabulary left in
    /// <c>vision_config</c>, and the top-level <c>vocab_size</c> (checked against <c>text_config</c>'s).</summary>
    static readonly string[] LlavaNextExtras = ["vocab_size", "use_image_newline_parameter", "image_grid_pinpoints"];

    /// <summary>Parses a LLaVA config.json text (names <paramref name="source"/> in errors).</summary>
    /// <exception cref="InvalidDataException">
    /// Not JSON, an unknown key, a value of the wrong type, <c>text_config</c> or <c>vision_config</c> missing or not an
    /// object (their defaults would be LLaVA-7B's, tens of GB), or an inconsistent or invalid shape.
    /// </exception>
    public static LlavaConfig ParseLlava(string json, string source = "config.json")
    {
        var root = ParseObject(json, source);
        return Wrap(source, () =>
        {
            string type = root["model_type"]?.GetValue<string>() ?? "";
            if (type is not ("llava" or "llava_next"))
                throw new InvalidDataException($"{source}: model_type is '{type}', expected 'llava' or 'llava_next'");
            bool next = type == "llava_next";
            string[] known = ["text_config", "vision_config", "image_token_index", "vision_feature_layer", "projector_hidden_act"];
            CheckKeys(root, source, "", next ? [.. known, .. LlavaNextExtras] : known);
            if (root["vision_feature_select_strategy"] is JsonNode s && s.GetValue<string>() != "default")
                throw new InvalidDataException($"{source}: vision_feature_select_strategy '{s}' is not supported (only 'default': CLS dropped)");
            if (next && root["use_image_newline_parameter"] is JsonNode u && !u.GetValue<bool>())
                throw new InvalidDataException($"{source}: use_image_newline_parameter false is not supported (LLaVA-NeXT's rows end with the learned image_newline)");
            var cfg = new LlavaConfig
            {
                Text = ParseLlamaObject(Section(root, "text_config", source), source, "text_config."),
                Vision = ParseVisionObject(Section(root, "vision_config", source), source, "vision_config."),
                ImageTokenId = Int(root, "image_token_index", 32000),
                VisionFeatureLayer = Int(root, "vision_feature_layer", -2),
                ProjectorAct = Activations.Parse(Str(root, "projector_hidden_act", "gelu")),
                ImageGridPinpoints = next ? Pinpoints(root, source) : null,
            };
            if (next && root["vocab_size"] is JsonNode v && v.GetValue<int>() != cfg.Text.VocabSize)
                throw new InvalidDataException($"{source}: vocab_size {v} disagrees with text_config.vocab_size {cfg.Text.VocabSize}");
            return cfg.Validate();
        });
    }

    /// <summary>LLaVA-NeXT's image_grid_pinpoints: a non-empty list of [height, width] pairs.</summary>
    static IReadOnlyList<(int Height, int Width)> Pinpoints(JsonObject root, string source)
    {
        if (root["image_grid_pinpoints"] is not JsonArray list || list.Count == 0)
            throw new InvalidDataException($"{source}: a llava_next config needs image_grid_pinpoints, a list of [height, width] pairs such as [[336, 672], [672, 672]]");
        return list.Select(p => p is JsonArray { Count: 2 } pair
            ? (pair[0]!.GetValue<int>(), pair[1]!.GetValue<int>())
            : throw new InvalidDataException($"{source}: image_grid_pinpoints entry {p?.ToJsonString() ?? "null"} is not a [height, width] pair")).ToArray();
    }

    /// <summary>
    /// Parses a language model's config.json text: LLaMA (<c>model_type</c> llama or absent), Qwen2 (qwen2), or the
    /// text part of a Qwen2-VL / Qwen2.5-VL config (qwen2_vl, qwen2_5_vl, whose vision keys are left to the vision
    /// side, or their text_config's qwen2_vl_text, qwen2_5_vl_text).
    /// </summary>
    /// <exception cref="InvalidDataException">Not JSON, another model_type, an unknown key, a value of the wrong type, or an invalid shape.</exception>
    public static LlamaConfig ParseLlama(string json, string source = "config.json")
    {
        var root = ParseObject(json, source);
        return Wrap(source, () =>
        {
            string type = root["model_type"]?.GetValue<string>() ?? "llama";
            if (type != "llama" && !Qwen2Types.Contains(type))
                throw new InvalidDataException($"{source}: model_type is '{type}', expected 'llama', or {string.Join(", ", Qwen2Types.Select(t => $"'{t}'"))}");
            return ParseLlamaObject(root, source, "").Validate();
        });
    }

    /// <summary>The model_type field of a config.json text.</summary>
    /// <exception cref="InvalidDataException">Not JSON, or no model_type string.</exception>
    public static string ModelType(string json, string source = "config.json")
    {
        var root = ParseObject(json, source);
        return Wrap(source, () => root["model_type"]?.GetValue<string>() ?? throw new InvalidDataException($"{source}: no model_type"));
    }

    /// <summary>
    /// A nested config object. Hugging Face would fill a missing one with LLaVA-7B's shapes; here that would build a
    /// multi-GB model from a typo, so it must be written out.
    /// </summary>
    static JsonObject Section(JsonObject root, string key, string source) => root[key] as JsonObject
        ?? throw new InvalidDataException($"{source}: {key} is {(root[key] is null ? "missing or null" : "not an object")}: " +
            $"a LLaVA config.json gives the {(key == "text_config" ? "language model's" : "vision tower's")} shape there (as diffprune pretrain writes it)");

    static readonly string[] LlamaKeys =
    [
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "rms_norm_eps", "rope_theta", "tie_word_embeddings", "max_position_embeddings", "attention_bias", "rope_scaling",
    ];

    /// <summary>model_type values of Qwen2 text models: LLaMA with biases on q_proj, k_proj and v_proj (always, so no
    /// config key says so); the VL ones' M-RoPE comes from rope_scaling.</summary>
    static readonly string[] Qwen2Types = ["qwen2", "qwen2_vl", "qwen2_5_vl", "qwen2_vl_text", "qwen2_5_vl_text"];

    /// <summary>Qwen2's keys beyond LLaMA's: sliding-window attention, which this decoder has not (refused when on), and the
    /// per-layer attention kinds newer transformers write (only "full_attention" runs here).</summary>
    static readonly string[] Qwen2Keys = ["use_sliding_window", "sliding_window", "max_window_layers", "layer_types"];

    /// <summary>Keys of a flat Qwen2-VL / Qwen2.5-VL config.json that belong to its vision side, not to the text model read here.</summary>
    static readonly string[] QwenVlVisionKeys = ["vision_config", "image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id", "vision_token_id"];

    /// <summary>Shape keys a Qwen2 config must give: Hugging Face's defaults for them differ between Qwen2 and Qwen2.5-VL
    /// (and describe 7B to 72B models), so a missing one is a mistake, not a default.</summary>
    static readonly string[] Qwen2RequiredKeys =
        ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "rope_theta"];

    static LlamaConfig ParseLlamaObject(JsonObject o, string source, string prefix)
    {
        string type = o["model_type"]?.GetValue<string>() ?? "llama";
        bool qwen2 = Qwen2Types.Contains(type);
        CheckKeys(o, source, prefix, [.. LlamaKeys, .. qwen2 ? Qwen2Keys : [], .. type is "qwen2_vl" or "qwen2_5_vl" ? QwenVlVisionKeys : []]);
        if (o["hidden_act"] is JsonNode act && act.GetValue<string>() != "silu")
            throw new InvalidDataException($"{source}: {prefix}hidden_act '{act}' is not supported (LLaMA uses silu)");
        if (Bool(o, "attention_bias", false))
            throw new InvalidDataException($"{source}: {prefix}attention_bias true (biases on q, k, v and o_proj) is not supported; Qwen2's q, k and v biases come with model_type 'qwen2'");
        if (qwen2) CheckQwen2(o, source, prefix);
        int heads = Int(o, "num_attention_heads", 32);
        return new LlamaConfig
        {
            VocabSize = Int(o, "vocab_size", 32000),
            HiddenSize = Int(o, "hidden_size", 4096),
            IntermediateSize = Int(o, "intermediate_size", 11008),
            NumLayers = Int(o, "num_hidden_layers", 32),
            NumHeads = heads,
            NumKvHeads = Int(o, "num_key_value_heads", heads),
            RmsNormEps = (float)Num(o, "rms_norm_eps", 1e-6),
            RopeTheta = (float)Num(o, "rope_theta", 10000),
            TieWordEmbeddings = Bool(o, "tie_word_embeddings", false),
            MaxPositionEmbeddings = Int(o, "max_position_embeddings", 2048),
            AttentionBias = qwen2,
            MropeSection = MropeSection(o, source, prefix),
        };
    }

    static void CheckQwen2(JsonObject o, string source, string prefix)
    {
        if (Qwen2RequiredKeys.FirstOrDefault(k => o[k] is null) is { } missing)
            throw new InvalidDataException($"{source}: {prefix}{missing} is missing: a Qwen2 config gives its shape (Hugging Face's defaults differ between Qwen2 versions)");
        if (Bool(o, "use_sliding_window", false))
            throw new InvalidDataException($"{source}: {prefix}use_sliding_window true is not supported (every token here attends to all earlier tokens)");
        if (o["layer_types"] is JsonNode kinds && (kinds is not JsonArray list || list.Any(k => k?.GetValueKind() != JsonValueKind.String || k.GetValue<string>() != "full_attention")))
            throw new InvalidDataException($"{source}: {prefix}layer_types {kinds.ToJsonString()} is not supported: only \"full_attention\" layers run here (every token attends to all earlier tokens)");
    }

    /// <summary>
    /// M-RoPE sections from <c>rope_scaling</c>: absent or null, or Qwen2-VL's <c>{"type": "mrope", "mrope_section": [16, 24, 24]}</c>
    /// (transformers rewrites the type to "default" and adds <c>rope_type</c>). The scalings that stretch positions (linear,
    /// dynamic, yarn, llama3) are not implemented and refused rather than ignored.
    /// </summary>
    static int[]? MropeSection(JsonObject o, string source, string prefix)
    {
        if (o["rope_scaling"] is not JsonNode node) return null;
        if (node is not JsonObject scaling) throw new InvalidDataException($"{source}: {prefix}rope_scaling must be an object or null, got {node.ToJsonString()}");
        bool mrope = false;
        foreach (var key in new[] { "type", "rope_type" })
        {
            string kind = Str(scaling, key, "default");
            if (kind is not ("mrope" or "default"))
                throw new InvalidDataException($"{source}: {prefix}rope_scaling {key} '{kind}' is not supported (only Qwen2-VL's mrope; position scalings are not implemented)");
            mrope |= kind == "mrope";
        }
        CheckKeys(scaling, source, prefix + "rope_scaling.", ["type", "rope_type", "mrope_section"]);
        if (scaling["mrope_section"] is not JsonNode sections)
            return mrope ? throw new InvalidDataException($"{source}: {prefix}rope_scaling type 'mrope' needs mrope_section, e.g. [16, 24, 24]") : null;
        if (sections is not JsonArray list)
            throw new InvalidDataException($"{source}: {prefix}rope_scaling.mrope_section must be a list of three counts such as [16, 24, 24], got {sections.ToJsonString()}");
        return list.Select(n => n?.GetValue<int>() ?? throw new InvalidDataException($"{source}: {prefix}rope_scaling.mrope_section holds a null")).ToArray();
    }

    static readonly string[] VisionKeys =
    [
        "image_size", "patch_size", "num_channels", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "hidden_act", "layer_norm_eps", "vocab_size",
    ];

    static VisionConfig ParseVisionObject(JsonObject o, string source, string prefix)
    {
        CheckKeys(o, source, prefix, VisionKeys);
        if (o["model_type"] is JsonNode t && t.GetValue<string>() != "clip_vision_model")
            throw new InvalidDataException($"{source}: {prefix}model_type '{t}' is not supported (only clip_vision_model)");
        return new VisionConfig
        {
            ImageSize = Int(o, "image_size", 224),
            PatchSize = Int(o, "patch_size", 32),
            NumChannels = Int(o, "num_channels", 3),
            HiddenSize = Int(o, "hidden_size", 768),
            IntermediateSize = Int(o, "intermediate_size", 3072),
            NumLayers = Int(o, "num_hidden_layers", 12),
            NumHeads = Int(o, "num_attention_heads", 12),
            HiddenAct = Activations.Parse(Str(o, "hidden_act", "quick_gelu")),
            LayerNormEps = (float)Num(o, "layer_norm_eps", 1e-5),
        };
    }

    /// <summary>config.json text for <paramref name="cfg"/> (every field written, HF names).</summary>
    public static string ToJson(LlavaConfig cfg)
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(cfg.IsAnyRes ? "LlavaNextForConditionalGeneration" : "LlavaForConditionalGeneration"),
            ["model_type"] = cfg.IsAnyRes ? "llava_next" : "llava",
            ["image_token_index"] = cfg.ImageTokenId,
            ["vision_feature_layer"] = cfg.VisionFeatureLayer,
            ["vision_feature_select_strategy"] = "default",
            ["projector_hidden_act"] = cfg.ProjectorAct.ToConfigName(),
            ["text_config"] = LlamaObject(cfg.Text),
            ["vision_config"] = VisionObject(cfg.Vision),
        };
        if (cfg.ImageGridPinpoints is { } pins)
            o["image_grid_pinpoints"] = new JsonArray(pins.Select(p => (JsonNode)new JsonArray(p.Height, p.Width)).ToArray());
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>config.json text for a LLaMA language model (a Qwen2 one when it has attention biases).</summary>
    public static string ToJson(LlamaConfig cfg)
    {
        var o = LlamaObject(cfg);
        o["architectures"] = new JsonArray(cfg.AttentionBias ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    static JsonObject LlamaObject(LlamaConfig c)
    {
        var o = LlamaFields(c);
        if (c.MropeSection is { } sections)
            o["rope_scaling"] = new JsonObject { ["type"] = "mrope", ["mrope_section"] = new JsonArray(sections.Select(n => (JsonNode)n).ToArray()) };
        return o;
    }

    static JsonObject LlamaFields(LlamaConfig c) => new()
    {
        // Qwen2's q, k and v biases are implied by its model_type (its config has no key for them)
        ["model_type"] = c.AttentionBias ? "qwen2" : "llama",
        ["vocab_size"] = c.VocabSize,
        ["hidden_size"] = c.HiddenSize,
        ["intermediate_size"] = c.IntermediateSize,
        ["num_hidden_layers"] = c.NumLayers,
        ["num_attention_heads"] = c.NumHeads,
        ["num_key_value_heads"] = c.NumKvHeads,
        ["rms_norm_eps"] = c.RmsNormEps,
        ["rope_theta"] = c.RopeTheta,
        ["tie_word_embeddings"] = c.TieWordEmbeddings,
        ["max_position_embeddings"] = c.MaxPositionEmbeddings,
        ["hidden_act"] = "silu",
    };

    static JsonObject VisionObject(VisionConfig c) => new()
    {
        ["model_type"] = "clip_vision_model",
        ["image_size"] = c.ImageSize,
        ["patch_size"] = c.PatchSize,
        ["num_channels"] = c.NumChannels,
        ["hidden_size"] = c.HiddenSize,
        ["intermediate_size"] = c.IntermediateSize,
        ["num_hidden_layers"] = c.NumLayers,
        ["num_attention_heads"] = c.NumHeads,
        ["hidden_act"] = c.HiddenAct.ToConfigName(),
        ["layer_norm_eps"] = c.LayerNormEps,
    };

    static JsonObject ParseObject(string json, string source)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{source}: the top level is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message})");
        }
    }

    static void CheckKeys(JsonObject o, string source, string prefix, IEnumerable<string> known)
    {
        var allowed = new HashSet<string>(known);
        foreach (var (key, _) in o)
            if (!allowed.Contains(key) && !Bookkeeping.Contains(key))
                throw new InvalidDataException($"{source}: unknown key '{prefix}{key}' (known: {string.Join(", ", allowed)})");
    }

    /// <summary>Runs <paramref name="make"/>, turning a wrongly typed value (a string where a number belongs, 1e6 for an
    /// integer) or an invalid shape into an error that names the file.</summary>
    static T Wrap<T>(string source, Func<T> make)
    {
        try { return make(); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{source}: {e.Message}");
        }
    }

    static int Int(JsonObject o, string key, int fallback) => o[key] is JsonNode n ? n.GetValue<int>() : fallback;
    static double Num(JsonObject o, string key, double fallback) => o[key] is JsonNode n ? n.GetValue<double>() : fallback;
    static bool Bool(JsonObject o, string key, bool fallback) => o[key] is JsonNode n ? n.GetValue<bool>() : fallback;
    static string Str(JsonObject o, string key, string fallback) => o[key] is JsonNode n ? n.GetValue<string>() : fallback;
}
