using System.Globalization;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Models;

/// <summary>
/// Hugging Face Qwen2.5-VL folders: the tensor layout of Qwen/Qwen2.5-VL-7B-Instruct written out here from a config
/// (HF's module tree: Qwen2_5_VisionTransformerPretrainedModel, Qwen2 decoder, head), counted at 7B from the published
/// config.json without allocating, then written at a toy size in both name layouts with config.json files of the
/// published keys (flat, transformers &lt; 4.52) and of the newer nested ones, and loaded.
/// </summary>
public sealed class Qwen25VlCheckpointTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Qwen2.5-VL-7B-Instruct's config.json as published (flat layout; vision_config in full).</summary>
    const string Published7B = """
        {
          "architectures": ["Qwen2_5_VLForConditionalGeneration"], "attention_dropout": 0.0, "bos_token_id": 151643,
          "eos_token_id": 151645, "vision_start_token_id": 151652, "vision_end_token_id": 151653, "vision_token_id": 151654,
          "image_token_id": 151655, "video_token_id": 151656, "hidden_act": "silu", "hidden_size": 3584, "initializer_range": 0.02,
          "intermediate_size": 18944, "max_position_embeddings": 128000, "max_window_layers": 28, "model_type": "qwen2_5_vl",
          "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
          "sliding_window": 32768, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.41.2",
          "use_cache": true, "use_sliding_window": false,
          "vision_config": {
            "depth": 32, "hidden_act": "silu", "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16, "in_chans": 3,
            "out_hidden_size": 3584, "patch_size": 14, "spatial_merge_size": 2, "spatial_patch_size": 14, "window_size": 112,
            "fullatt_block_indexes": [7, 15, 23, 31], "tokens_per_second": 2, "temporal_patch_size": 2
          },
          "rope_scaling": { "type": "mrope", "mrope_section": [16, 24, 24] },
          "vocab_size": 152064
        }
        """;

    /// <summary>The published checkpoint's tensors for a config of its family, in the published layout.</summary>
    static IEnumerable<(string Name, int[] Shape)> PublishedLayout(Qwen25VlConfig c)
    {
        var v = c.Vision;
        int dv = v.HiddenSize, vi = v.IntermediateSize, unit = v.MergeUnit * dv;
        yield return ("visual.patch_embed.proj.weight", [dv, v.InChannels, v.TemporalPatchSize, v.PatchSize, v.PatchSize]);
        for (int l = 0; l < v.Depth; l++)
        {
            string block = $"visual.blocks.{l}.";
            yield return (block + "norm1.weight", [dv]);
            yield return (block + "norm2.weight", [dv]);
            yield return (block + "attn.qkv.weight", [3 * dv, dv]);
            yield return (block + "attn.qkv.bias", [3 * dv]);
            yield return (block + "attn.proj.weight", [dv, dv]);
            yield return (block + "attn.proj.bias", [dv]);
            foreach (var proj in new[] { "gate_proj", "up_proj" })
            {
                yield return (block + $"mlp.{proj}.weight", [vi, dv]);
                yield return (block + $"mlp.{proj}.bias", [vi]);
            }
            yield return (block + "mlp.down_proj.weight", [dv, vi]);
            yield return (block + "mlp.down_proj.bias", [dv]);
        }
        yield return ("visual.merger.ln_q.weight", [dv]);
        yield return ("visual.merger.mlp.0.weight", [unit, unit]);
        yield return ("visual.merger.mlp.0.bias", [unit]);
        yield return ("visual.merger.mlp.2.weight", [v.OutHiddenSize, unit]);
        yield return ("visual.merger.mlp.2.bias", [v.OutHiddenSize]);
        var t = c.Text;
        int d = t.HiddenSize, kv = t.NumKvHeads * t.HeadDim, inter = t.IntermediateSize;
        yield return ("model.embed_tokens.weight", [t.VocabSize, d]);
        for (int l = 0; l < t.NumLayers; l++)
        {
            string layer = $"model.layers.{l}.";
            foreach (var (proj, width) in new[] { ("q_proj", d), ("k_proj", kv), ("v_proj", kv) })
            {
                yield return (layer + $"self_attn.{proj}.weight", [width, d]);
                yield return (layer + $"self_attn.{proj}.bias", [width]);
            }
            yield return (layer + "self_attn.o_proj.weight", [d, d]);
            yield return (layer + "mlp.gate_proj.weight", [inter, d]);
            yield return (layer + "mlp.up_proj.weight", [inter, d]);
            yield return (layer + "mlp.down_proj.weight", [d, inter]);
            yield return (layer + "input_layernorm.weight", [d]);
            yield return (layer + "post_attention_layernorm.weight", [d]);
        }
        yield return ("model.norm.weight", [d]);
        if (!t.TieWordEmbeddings) yield return ("lm_head.weight", [t.VocabSize, d]);
    }

    /// <summary>The names transformers 4.52+ saves (Qwen2_5_VLForConditionalGeneration's checkpoint conversion mapping, reversed).</summary>
    static string NewerName(string name) =>
        name.StartsWith("visual.", StringComparison.Ordinal) ? "model." + name
        : name.StartsWith("model.", StringComparison.Ordinal) ? "model.language_model." + name["model.".Length..]
        : name;

    [Fact]
    public void SevenBLayoutFromThePublishedConfigCountsWhatTheLoaderRequires()
    {
        var cfg = HfConfig.ParseQwen25Vl(Published7B);
        var expected = Qwen25VlConfig.Qwen25Vl7B();
        Assert.Equal(expected, cfg with { Vision = expected.Vision, Text = cfg.Text with { MropeSection = expected.Text.MropeSection } });
        Assert.Equal([16, 24, 24], cfg.Text.MropeSection!);
        Assert.Equal(new Qwen25VisionConfigView(32, 1280, 3420, 16, 3584, 14, 2, 2, 112, [7, 15, 23, 31]), Qwen25VisionConfigView.Of(cfg.Vision));
        var layout = PublishedLayout(cfg).ToDictionary(t => t.Name, t => t.Shape);
        // Qwen2.5-VL-7B-Instruct: 8,292,166,656 parameters (676,550,144 in the tower and merger, 7,615,616,512 in the LM)
        Assert.Equal(8_292_166_656L, layout.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));
        Assert.Equal(8_292_166_656L, cfg.ParameterCount());
        Assert.Equal(676_550_144L, cfg.Vision.ParameterCount());
        Assert.Equal([1280, 3, 2, 14, 14], layout["visual.patch_embed.proj.weight"]);
        Assert.Equal([5120, 5120], layout["visual.merger.mlp.0.weight"]);
        Assert.Equal([3584, 5120], layout["visual.merger.mlp.2.weight"]);
        Assert.Equal([512], layout["model.layers.27.self_attn.k_proj.bias"]);
        Assert.Equal(1 + 32 * 12 + 5 + 1 + 28 * 12 + 1 + 1, layout.Count);
    }

    /// <summary>Vision fields compared by value (the record holds a list, which a record compares by reference).</summary>
    sealed record Qwen25VisionConfigView(int Depth, int Hidden, int Inter, int Heads, int Out, int Patch, int Merge, int Temporal, int Window, string Full)
    {
        public Qwen25VisionConfigView(int depth, int hidden, int inter, int heads, int @out, int patch, int merge, int temporal, int window, int[] full)
            : this(depth, hidden, inter, heads, @out, patch, merge, temporal, window, string.Join(",", full)) { }

        public static Qwen25VisionConfigView Of(DiffPrune.Models.Vision.Qwen25VisionConfig v) => new(v.Depth, v.HiddenSize, v.IntermediateSize, v.NumHeads,
            v.OutHiddenSize, v.PatchSize, v.SpatialMergeSize, v.TemporalPatchSize, v.WindowSize, v.FullAttentionBlocks.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TinyModelHasThePublishedLayoutsNamesAndShapes(bool tied)
    {
        var vlm = new Qwen25VlModel(Qwen25VlModelTests.Tiny(tied), new Generator(1));
        var own = vlm.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        var published = PublishedLayout(vlm.Config).ToDictionary(t => t.Name, t => t.Shape);
        Assert.Equal(published.Keys.Order(StringComparer.Ordinal), own.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, shape) in published) Assert.Equal(shape, own[name]);
        Assert.Equal(vlm.ParameterCount, vlm.Config.ParameterCount());
    }

    /// <summary>config.json of the published keys (flat), or as transformers 4.52+ saves it (text under text_config).</summary>
    static string ConfigJson(Qwen25VlConfig c, bool nested)
    {
        var t = c.Text;
        string text = string.Create(CultureInfo.InvariantCulture, $$"""
            "attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 1, "hidden_act": "silu", "hidden_size": {{t.HiddenSize}},
            "initializer_range": 0.02, "intermediate_size": {{t.IntermediateSize}}, "max_position_embeddings": {{t.MaxPositionEmbeddings}},
            "max_window_layers": {{t.NumLayers}}, "num_attention_heads": {{t.NumHeads}}, "num_hidden_layers": {{t.NumLayers}},
            "num_key_value_heads": {{t.NumKvHeads}}, "rms_norm_eps": {{t.RmsNormEps}}, "rope_theta": {{t.RopeTheta}}, "sliding_window": 32768,
            "tie_word_embeddings": {{(t.TieWordEmbeddings ? "true" : "false")}}, "use_cache": true, "use_sliding_window": false, "vocab_size": {{t.VocabSize}}
            """);
        var v = c.Vision;
        string vision = string.Create(CultureInfo.InvariantCulture, $$"""
            "vision_config": {
              "depth": {{v.Depth}}, "hidden_act": "silu", "hidden_size": {{v.HiddenSize}}, "intermediate_size": {{v.IntermediateSize}},
              "num_heads": {{v.NumHeads}}, {{(nested ? "\"in_channels\"" : "\"in_chans\"")}}: {{v.InChannels}}, "out_hidden_size": {{v.OutHiddenSize}},
              "patch_size": {{v.PatchSize}}, "spatial_merge_size": {{v.SpatialMergeSize}}, "spatial_patch_size": {{v.PatchSize}},
              "window_size": {{v.WindowSize}}, "fullatt_block_indexes": [{{string.Join(", ", v.FullAttentionBlocks)}}], "tokens_per_second": 2,
              "temporal_patch_size": {{v.TemporalPatchSize}}{{(nested ? ", \"model_type\": \"qwen2_5_vl\", \"initializer_range\": 0.02" : "")}}
            }
            """);
        string ids = $"\"image_token_id\": {c.ImageTokenId}, \"video_token_id\": 38, \"vision_start_token_id\": {c.VisionStartTokenId}, \"vision_end_token_id\": {c.VisionEndTokenId}";
        string mrope = $"[{string.Join(", ", t.MropeSection!)}]";
        return nested
            ? $$"""
              { "architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl", "torch_dtype": "bfloat16",
                "transformers_version": "4.56.0", {{ids}}, {{vision}},
                "text_config": { "model_type": "qwen2_5_vl_text", {{text}}, "layer_types": [{{string.Join(", ", Enumerable.Repeat("\"full_attention\"", t.NumLayers))}}],
                  "rope_scaling": { "type": "default", "rope_type": "default", "mrope_section": {{mrope}} } } }
              """
            : $$"""
              { "architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl", "torch_dtype": "bfloat16",
                "transformers_version": "4.41.2", "vision_token_id": 34, {{ids}}, {{text}}, {{vision}},
                "rope_scaling": { "type": "mrope", "mrope_section": {{mrope}} } }
              """;
    }

    /// <summary>Writes random tensors of the published layout into two shards under <paramref name="rename"/>d names, with config.json.</summary>
    Dictionary<string, Tensor> WritePublished(Qwen25VlConfig cfg, bool nested, bool storeTiedHead = false)
    {
        var gen = new Generator(21);
        var layout = PublishedLayout(cfg).ToList();
        if (storeTiedHead) layout.Add(("lm_head.weight", [cfg.Text.VocabSize, cfg.Text.HiddenSize]));
        var tensors = layout.ToDictionary(t => t.Name, t => Tensor.Randn(gen, t.Shape, 0f, 0.1f));
        if (storeTiedHead) tensors["lm_head.weight"] = tensors["model.embed_tokens.weight"];
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        for (int shard = 0; shard < 2; shard++)
            SafeTensors.Save(_dir.File($"model-0000{shard + 1}-of-00002.safetensors"),
                names.Where((_, i) => i % 2 == shard).ToDictionary(n => nested ? NewerName(n) : n, n => tensors[n]), new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(_dir.File("config.json"), ConfigJson(cfg, nested));
        return tensors;
    }

    static Tensor Logits(Qwen25VlModel vlm)
    {
        using var _ = Autograd.NoGrad();
        int[] text = [1, 5, .. vlm.ImagePlaceholders(vlm.Config.Vision.Grid(6, 8)), 7, 9];
        return vlm.Forward([Qwen25VlModelTests.Pixels(5)], [text]).Logits;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void FolderLoadsEveryTensorInItsPlaceAndAnswersAsTheModelBuiltInMemory(bool nested, bool tied)
    {
        var cfg = Qwen25VlModelTests.Tiny(tied);
        var written = WritePublished(cfg, nested, storeTiedHead: tied && nested);
        var (vlm, tokenizer) = ModelFolder.LoadQwen25Vl(_dir.Path);
        Assert.Null(tokenizer);
        Assert.True(ModelFolder.IsQwen25Vl(_dir.Path));
        Assert.Equal(cfg.Text, vlm.Config.Text with { MropeSection = cfg.Text.MropeSection });
        Assert.Equal((cfg.ImageTokenId, cfg.VisionStartTokenId, cfg.VisionEndTokenId), (vlm.Config.ImageTokenId, vlm.Config.VisionStartTokenId, vlm.Config.VisionEndTokenId));
        var loaded = vlm.StateDict();
        foreach (var (name, tensor) in written.Where(w => !(tied && w.Key == "lm_head.weight")))
            Assert.Equal(tensor.ToArray(), loaded[name].ToArray());

        var inMemory = new Qwen25VlModel(cfg, new Generator(99));
        inMemory.LoadStateDict(written.Where(w => loaded.ContainsKey(w.Key)).ToDictionary(w => w.Key, w => w.Value));
        var logits = Logits(vlm);
        Tolerance.AssertClose(Logits(inMemory), logits, atol: 0, rtol: 0);
    }

    [Theory]
    [InlineData("visual.merger.mlp.2.bias")]
    [InlineData("visual.blocks.0.attn.qkv.bias")]
    [InlineData("model.layers.2.self_attn.v_proj.bias")]
    [InlineData("model.layers.1.mlp.down_proj.weight")]
    [InlineData("model.embed_tokens.weight")]
    [InlineData("lm_head.weight")]
    public void ChangingOneStoredTensorChangesTheOutput(string name)
    {
        var cfg = Qwen25VlModelTests.Tiny();
        var written = WritePublished(cfg, nested: true);
        var before = Logits(HfCheckpoint.LoadQwen25Vl(_dir.Path));
        var changed = written.ToDictionary(w => w.Key, w => w.Key == name ? w.Value.Add(Tensor.Full(w.Value.Shape, 0.5f)) : w.Value);
        foreach (var file in Directory.GetFiles(_dir.Path, "*.safetensors")) File.Delete(file);
        SafeTensors.Save(_dir.File("model.safetensors"), changed.ToDictionary(w => NewerName(w.Key), w => w.Value));
        var after = Logits(HfCheckpoint.LoadQwen25Vl(_dir.Path));
        double diff = before.ToArray().Zip(after.ToArray(), (a, b) => Math.Abs((double)a - b)).Max();
        Assert.True(diff > 1e-3, $"changing {name} in the file changed the logits by only {diff:G3}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SavedAndReloadedModelAnswersTheSame(bool tied)
    {
        var vlm = new Qwen25VlModel(Qwen25VlModelTests.Tiny(tied) with { Vision = Qwen25VlModelTests.Tiny().Vision with { FullAttentionBlocks = [0] } }, new Generator(3));
        HfCheckpoint.Save(vlm, _dir.Path);
        Assert.Equal(PublishedLayout(vlm.Config).Select(t => t.Name).Order(StringComparer.Ordinal), SafeTensors.Load(_dir.File("model.safetensors")).Keys.Order(StringComparer.Ordinal));
        var loaded = HfCheckpoint.LoadQwen25Vl(_dir.Path);
        Assert.Equal(HfConfig.ToJson(vlm.Config), HfConfig.ToJson(loaded.Config));
        Assert.Equal([0], loaded.Config.Vision.FullAttentionBlocks);
        int[] text = [1, .. vlm.ImagePlaceholders(vlm.Config.Vision.Grid(6, 8)), 7];
        var pixels = Qwen25VlModelTests.Pixels(4);
        Assert.Equal(vlm.Generate([pixels], [text], null, 4, eosId: null), loaded.Generate([pixels], [text], null, 4, eosId: null));
    }

    [Fact]
    public void ModelFolderLoadSaysAQwenFolderIsNotLlava()
    {
        WritePublished(Qwen25VlModelTests.Tiny(), nested: false);
        DiffPrune.Data.Text.WordTokenizer.ForSceneBench().Save(_dir.File(ModelFolder.TokenizerFile));
        Assert.Contains("LoadQwen25Vl", Assert.Throws<InvalidDataException>(() => ModelFolder.Load(_dir.Path)).Message);
        Assert.NotNull(ModelFolder.LoadQwen25Vl(_dir.Path).Tokenizer);
    }

    [Theory]
    [InlineData("\"depth\": 2,", "", "vision_config.depth is missing")]
    [InlineData("\"window_size\":", "\"windowsize\":", "unknown key 'vision_config.windowsize'")]
    [InlineData("\"hidden_act\": \"silu\", \"hidden_size\": 16", "\"hidden_act\": \"tanh\", \"hidden_size\": 16", "vision_config.hidden_act 'tanh' is not supported")]
    [InlineData("\"spatial_patch_size\": 2", "\"spatial_patch_size\": 4", "vision_config.spatial_patch_size 4 differs from vision_config.patch_size 2")]
    [InlineData("\"fullatt_block_indexes\": [1]", "\"fullatt_block_indexes\": [2]", "fullatt_block_indexes holds 2")]
    [InlineData("\"fullatt_block_indexes\": [1]", "\"fullatt_block_indexes\": 1", "fullatt_block_indexes must be a list")]
    [InlineData("\"out_hidden_size\": 32", "\"out_hidden_size\": 24", "out_hidden_size 24 must equal")]
    [InlineData("\"window_size\": 8", "\"window_size\": 6", "window_size 6")]
    [InlineData("\"model_type\": \"qwen2_5_vl\", \"torch", "\"model_type\": \"qwen2_vl\", \"torch", "model_type is 'qwen2_vl'")]
    [InlineData("\"mrope_section\": [2, 3, 3]", "\"mrope_section\": [2, 3, 2]", "mrope_section [2, 3, 2]")]
    [InlineData("\"image_token_id\": 37", "\"image_token_id\": 40", "image_token_id 40 is outside the vocabulary")]
    [InlineData("\"use_sliding_window\": false", "\"use_sliding_window\": true", "use_sliding_window true")]
    public void BadFlatConfigsAreRefusedNamingTheKey(string from, string to, string expected) =>
        Assert.Contains(expected, Refusal(ConfigJson(Qwen25VlModelTests.Tiny(), nested: false), from, to));

    [Theory]
    [InlineData("\"transformers_version\": \"4.56.0\",", "\"transformers_version\": \"4.56.0\", \"hidden_size\": 64,", "hidden_size 64 at the top level disagrees with text_config.hidden_size 32")]
    [InlineData("\"full_attention\", \"full_attention\", \"full_attention\"", "\"full_attention\", \"sliding_attention\", \"full_attention\"", "text_config.layer_types")]
    [InlineData("\"in_channels\": 3", "\"in_channels\": 3, \"in_chans\": 1", "in_chans 1 disagrees with vision_config.in_channels 3")]
    [InlineData("\"model_type\": \"qwen2_5_vl\", \"initializer_range\"", "\"model_type\": \"siglip\", \"initializer_range\"", "vision_config.model_type 'siglip'")]
    [InlineData("\"text_config\": {", "\"text_config\": 3, \"x\": {", "text_config must be an object")]
    public void BadNestedConfigsAreRefusedNamingTheKey(string from, string to, string expected) =>
        Assert.Contains(expected, Refusal(ConfigJson(Qwen25VlModelTests.Tiny(), nested: true), from, to));

    [Fact]
    public void TopLevelTextKeysThatAgreeWithTextConfigAreAccepted()
    {
        var json = ConfigJson(Qwen25VlModelTests.Tiny(), nested: true).Replace("\"transformers_version\": \"4.56.0\",", "\"transformers_version\": \"4.56.0\", \"hidden_size\": 32, \"vocab_size\": 40,");
        Assert.Equal(32, HfConfig.ParseQwen25Vl(json).Text.HiddenSize);
        var withoutVision = System.Text.Json.Nodes.JsonNode.Parse(ConfigJson(Qwen25VlModelTests.Tiny(), nested: false))!.AsObject();
        withoutVision.Remove("vision_config");
        Assert.Contains("vision_config is missing", Assert.Throws<InvalidDataException>(() => HfConfig.ParseQwen25Vl(withoutVision.ToJsonString())).Message);
    }

    static string Refusal(string json, string from, string to)
    {
        Assert.Contains(from, json);
        return Assert.Throws<InvalidDataException>(() => HfConfig.ParseQwen25Vl(json.Replace(from, to), "qwen/config.json")).Message;
    }
}
