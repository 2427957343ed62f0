using System.Text.Json.Nodes;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Loaders;

/// <summary>Qwen2.5-VL's <c>config.json</c> (<c>model_type: qwen2_5_vl</c>).</summary>
public static partial class HfConfig
{
    /// <summary>vision_config keys read into <see cref="Qwen25VisionConfig"/> (<c>in_chans</c> as published, <c>in_channels</c> as
    /// newer transformers save it), plus <c>spatial_patch_size</c> (must equal patch_size) and <c>tokens_per_second</c>
    /// (temporal ids of video frames; an image has one frame, so it changes nothing here).</summary>
    static readonly string[] Qwen25VisionKeys =
    [
        "depth", "hidden_size", "intermediate_size", "num_heads", "in_chans", "in_channels", "out_hidden_size", "patch_size",
        "spatial_patch_size", "spatial_merge_size", "temporal_patch_size", "window_size", "fullatt_block_indexes", "hidden_act",
        "tokens_per_second",
    ];

    /// <summary>vision_config keys whose Hugging Face defaults are not Qwen2.5-VL's published sizes (hidden_size defaults to 3584,
    /// the 7B's is 1280): a missing one is a mistake, not a default.</summary>
    static readonly string[] Qwen25VisionRequired = ["depth", "hidden_size", "intermediate_size", "num_heads", "out_hidden_size"];

    /// <summary>The keys a top level beside <c>text_config</c> may hold: the image tokens and the two sections.</summary>
    static readonly string[] Qwen25VlTopKeys = ["text_config", .. QwenVlVisionKeys];

    /// <summary>
    /// Parses a Qwen2.5-VL config.json text (names <paramref name="source"/> in errors): the language model's keys at the top
    /// level (as published, transformers &lt; 4.52) or under <c>text_config</c> (newer; a copy of a text key at the top level
    /// must then agree with it), the tower's under <c>vision_config</c>, and <c>image_token_id</c>,
    /// <c>vision_start_token_id</c>, <c>vision_end_token_id</c> (Qwen2.5-VL's ids when absent).
    /// </summary>
    /// <exception cref="InvalidDataException">Not JSON, another model_type, an unknown key, a value of the wrong type or not
    /// supported, a missing size, or an inconsistent shape; the message names the key.</exception>
    public static Qwen25VlConfig ParseQwen25Vl(string json, string source = "config.json")
    {
        var root = ParseObject(json, source);
        return Wrap(source, () =>
        {
            string type = root["model_type"]?.GetValue<string>() ?? "";
            if (type != "qwen2_5_vl")
                throw new InvalidDataException($"{source}: model_type is '{type}', expected 'qwen2_5_vl'" +
                    (type == "qwen2_vl" ? " (Qwen2-VL's vision tower, with LayerNorms and no windows, is not implemented)" : ""));
            var text = root["text_config"] is JsonNode nested ? NestedText(root, nested, source) : ParseLlamaObject(root, source, "");
            var vision = root["vision_config"] as JsonObject
                ?? throw new InvalidDataException($"{source}: vision_config is {(root["vision_config"] is null ? "missing or null" : "not an object")}: a Qwen2.5-VL config.json gives the vision tower's shape there");
            return new Qwen25VlConfig
            {
                Text = text,
                Vision = ParseQwen25Vision(vision, source, "vision_config."),
                ImageTokenId = Int(root, "image_token_id", 151655),
                VisionStartTokenId = Int(root, "vision_start_token_id", 151652),
                VisionEndTokenId = Int(root, "vision_end_token_id", 151653),
            }.Validate();
        });
    }

    /// <summary>config.json text for <paramref name="cfg"/> in the published (flat) layout: the language model's keys at the top
    /// level, the tower's under vision_config, every field written.</summary>
    public static string ToJson(Qwen25VlConfig cfg)
    {
        var o = LlamaObject(cfg.Text);
        o["architectures"] = new JsonArray("Qwen2_5_VLForConditionalGeneration");
        o["model_type"] = "qwen2_5_vl";
        o["image_token_id"] = cfg.ImageTokenId;
        o["vision_start_token_id"] = cfg.VisionStartTokenId;
        o["vision_end_token_id"] = cfg.VisionEndTokenId;
        var v = cfg.Vision;
        o["vision_config"] = new JsonObject
        {
            ["depth"] = v.Depth,
            ["hidden_size"] = v.HiddenSize,
            ["intermediate_size"] = v.IntermediateSize,
            ["num_heads"] = v.NumHeads,
            ["in_chans"] = v.InChannels,
            ["out_hidden_size"] = v.OutHiddenSize,
            ["patch_size"] = v.PatchSize,
            ["spatial_merge_size"] = v.SpatialMergeSize,
            ["temporal_patch_size"] = v.TemporalPatchSize,
            ["window_size"] = v.WindowSize,
            ["fullatt_block_indexes"] = new JsonArray(v.FullAttentionBlocks.Select(i => (JsonNode)i).ToArray()),
            ["hidden_act"] = v.HiddenAct.ToConfigName(),
        };
        return o.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The text model under text_config; text keys also at the top level must agree with it, or fill it where it lacks them.</summary>
    static Llama.LlamaConfig NestedText(JsonObject root, JsonNode nested, string source)
    {
        if (nested is not JsonObject section) throw new InvalidDataException($"{source}: text_config must be an object, got {nested.ToJsonString()}");
        var text = (JsonObject)section.DeepClone();
        text["model_type"] ??= "qwen2_5_vl_text";
        string[] textKeys = [.. LlamaKeys, .. Qwen2Keys, "hidden_act"];
        foreach (var key in textKeys.Where(k => root.ContainsKey(k)))
        {
            if (!text.ContainsKey(key)) text[key] = root[key]?.DeepClone();
            else if (!JsonNode.DeepEquals(text[key], root[key]))
                throw new InvalidDataException($"{source}: {key} {root[key]?.ToJsonString() ?? "null"} at the top level disagrees with text_config.{key} {text[key]?.ToJsonString() ?? "null"}");
        }
        CheckKeys(root, source, "", [.. Qwen25VlTopKeys, .. textKeys]);
        return ParseLlamaObject(text, source, "text_config.");
    }

    static Qwen25VisionConfig ParseQwen25Vision(JsonObject o, string source, string prefix)
    {
        CheckKeys(o, source, prefix, Qwen25VisionKeys);
        if (o["model_type"] is JsonNode t && t.GetValue<string>() is not ("qwen2_5_vl" or "qwen2_5_vl_vision"))
            throw new InvalidDataException($"{source}: {prefix}model_type '{t}' is not supported (only Qwen2.5-VL's vision tower)");
        if (Qwen25VisionRequired.FirstOrDefault(k => o[k] is null) is { } missing)
            throw new InvalidDataException($"{source}: {prefix}{missing} is missing: a Qwen2.5-VL vision_config gives its size (Hugging Face's default is not the published models')");
        int channels = Int(o, "in_chans", Int(o, "in_channels", 3)), patch = Int(o, "patch_size", 14);
        if (o["in_chans"] is not null && o["in_channels"] is not null && Int(o, "in_channels", 0) != channels)
            throw new InvalidDataException($"{source}: {prefix}in_chans {channels} disagrees with {prefix}in_channels {o["in_channels"]}");
        if (o["spatial_patch_size"] is not null && Int(o, "spatial_patch_size", 0) != patch)
            throw new InvalidDataException($"{source}: {prefix}spatial_patch_size {o["spatial_patch_size"]} differs from {prefix}patch_size {patch}; only square patches of patch_size are supported");
        return new Qwen25VisionConfig
        {
            Depth = Int(o, "depth", 0),
            HiddenSize = Int(o, "hidden_size", 0),
            IntermediateSize = Int(o, "intermediate_size", 0),
            NumHeads = Int(o, "num_heads", 0),
            InChannels = channels,
            OutHiddenSize = Int(o, "out_hidden_size", 0),
            PatchSize = patch,
            SpatialMergeSize = Int(o, "spatial_merge_size", 2),
            TemporalPatchSize = Int(o, "temporal_patch_size", 2),
            WindowSize = Int(o, "window_size", 112),
            FullAttentionBlocks = o["fullatt_block_indexes"] is JsonNode blocks ? BlockIndexes(blocks, source, prefix) : [7, 15, 23, 31],
            HiddenAct = VisionAct(Str(o, "hidden_act", "silu"), source, prefix),
        };
    }

    static int[] BlockIndexes(JsonNode node, string source, string prefix) => node is JsonArray list
        ? list.Select(n => n?.GetValue<int>() ?? throw new InvalidDataException($"{source}: {prefix}fullatt_block_indexes holds a null")).ToArray()
        : throw new InvalidDataException($"{source}: {prefix}fullatt_block_indexes must be a list of block indices such as [7, 15, 23, 31], got {node.ToJsonString()}");

    static Activation VisionAct(string name, string source, string prefix)
    {
        try { return Activations.Parse(name); }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"{source}: {prefix}hidden_act '{name}' is not supported (known: gelu, gelu_pytorch_tanh, quick_gelu, relu, silu)");
        }
    }
}
