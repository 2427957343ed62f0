using System.Globalization;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Tests.Models;

/// <summary>
/// llava-hf LLaVA-NeXT folders: the tensor layout of llava-hf/llava-v1.6-vicuna-7b-hf (names and shapes as its
/// model.safetensors.index.json lists them), written out here from a config, checked at 7B against the shape-only
/// config, then written at a tiny size with a config.json of the published file's keys and loaded.
/// </summary>
public sealed class LlavaNextCheckpointTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "dp-next-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The published checkpoint's tensors for a config of its family (CLIP tower with biases, LLaMA without, untied head).</summary>
    static IEnumerable<(string Name, int[] Shape)> PublishedLayout(LlavaConfig c)
    {
        int d = c.Text.HiddenSize, v = c.Text.VocabSize, inter = c.Text.IntermediateSize, kv = c.Text.NumKvHeads * (d / c.Text.NumHeads);
        int dv = c.Vision.HiddenSize, p = c.Vision.PatchSize, vInter = c.Vision.IntermediateSize, positions = c.Vision.GridSize * c.Vision.GridSize + 1;
        yield return ("image_newline", [d]);
        yield return ("multi_modal_projector.linear_1.weight", [d, dv]);
        yield return ("multi_modal_projector.linear_1.bias", [d]);
        yield return ("multi_modal_projector.linear_2.weight", [d, d]);
        yield return ("multi_modal_projector.linear_2.bias", [d]);
        yield return ("language_model.model.embed_tokens.weight", [v, d]);
        for (int l = 0; l < c.Text.NumLayers; l++)
        {
            string layer = $"language_model.model.layers.{l}.";
            yield return (layer + "self_attn.q_proj.weight", [d, d]);
            yield return (layer + "self_attn.k_proj.weight", [kv, d]);
            yield return (layer + "self_attn.v_proj.weight", [kv, d]);
            yield return (layer + "self_attn.o_proj.weight", [d, d]);
            yield return (layer + "mlp.gate_proj.weight", [inter, d]);
            yield return (layer + "mlp.up_proj.weight", [inter, d]);
            yield return (layer + "mlp.down_proj.weight", [d, inter]);
            yield return (layer + "input_layernorm.weight", [d]);
            yield return (layer + "post_attention_layernorm.weight", [d]);
        }
        yield return ("language_model.model.norm.weight", [d]);
        yield return ("language_model.lm_head.weight", [v, d]);
        const string tower = "vision_tower.vision_model.";
        yield return (tower + "embeddings.class_embedding", [dv]);
        yield return (tower + "embeddings.patch_embedding.weight", [dv, 3, p, p]);
        yield return (tower + "embeddings.position_embedding.weight", [positions, dv]);
        foreach (var norm in new[] { "pre_layrnorm", "post_layernorm" })
        {
            yield return (tower + norm + ".weight", [dv]);
            yield return (tower + norm + ".bias", [dv]);
        }
        for (int l = 0; l < c.Vision.NumLayers; l++)
        {
            string layer = $"{tower}encoder.layers.{l}.";
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                yield return (layer + $"self_attn.{proj}.weight", [dv, dv]);
                yield return (layer + $"self_attn.{proj}.bias", [dv]);
            }
            foreach (var norm in new[] { "layer_norm1", "layer_norm2" })
            {
                yield return (layer + norm + ".weight", [dv]);
                yield return (layer + norm + ".bias", [dv]);
            }
            yield return (layer + "mlp.fc1.weight", [vInter, dv]);
            yield return (layer + "mlp.fc1.bias", [vInter]);
            yield return (layer + "mlp.fc2.weight", [dv, vInter]);
            yield return (layer + "mlp.fc2.bias", [dv]);
        }
    }

    [Fact]
    public void SevenBLayoutCountsWhatTheShapeOnlyConfigCounts()
    {
        var cfg = LlavaConfig.LlavaNext7B();
        var layout = PublishedLayout(cfg).ToArray();
        Assert.Equal(7_063_431_168L, layout.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.Equal(7_063_431_168L, cfg.ParameterCount());
        Assert.Contains(("image_newline", new[] { 4096 }), layout.Select(t => (t.Name, t.Shape)), new NameAndShape());
    }

    [Fact]
    public void TinyModelHasThePublishedLayoutsNamesAndShapes()
    {
        var vlm = new LlavaModel(TinyNext(), new Generator(1));
        var own = vlm.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        var published = PublishedLayout(vlm.Config).ToDictionary(t => t.Name, t => t.Shape);
        Assert.Equal(published.Keys.Order(StringComparer.Ordinal), own.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, shape) in published) Assert.Equal(shape, own[name]);
    }

    static LlavaConfig TinyNext() => TinyModels.Llava() with { ImageGridPinpoints = [(16, 32), (32, 16), (32, 32)], ImageTokenId = 39 };

    /// <summary>config.json with the keys of llava-v1.6-vicuna-7b-hf's, at the tiny shape.</summary>
    static string PublishedConfigJson(LlavaConfig c) => string.Create(CultureInfo.InvariantCulture, $$"""
        {
          "architectures": ["LlavaNextForConditionalGeneration"],
          "ignore_index": -100,
          "image_grid_pinpoints": [[16, 32], [32, 16], [32, 32]],
          "image_token_index": {{c.ImageTokenId}},
          "model_type": "llava_next",
          "projector_hidden_act": "gelu",
          "text_config": {
            "_name_or_path": "lmsys/vicuna-7b-v1.5",
            "architectures": ["LlamaForCausalLM"],
            "hidden_size": {{c.Text.HiddenSize}},
            "intermediate_size": {{c.Text.IntermediateSize}},
            "num_hidden_layers": {{c.Text.NumLayers}},
            "num_attention_heads": {{c.Text.NumHeads}},
            "num_key_value_heads": {{c.Text.NumKvHeads}},
            "max_position_embeddings": {{c.Text.MaxPositionEmbeddings}},
            "model_type": "llama",
            "pad_token_id": 0,
            "rms_norm_eps": {{c.Text.RmsNormEps}},
            "torch_dtype": "float16",
            "vocab_size": {{c.Text.VocabSize}}
          },
          "tie_word_embeddings": false,
          "torch_dtype": "float16",
          "transformers_version": "4.39.0.dev0",
          "use_image_newline_parameter": true,
          "vision_config": {
            "hidden_size": {{c.Vision.HiddenSize}},
            "image_size": {{c.Vision.ImageSize}},
            "intermediate_size": {{c.Vision.IntermediateSize}},
            "model_type": "clip_vision_model",
            "num_attention_heads": {{c.Vision.NumHeads}},
            "num_hidden_layers": {{c.Vision.NumLayers}},
            "patch_size": {{c.Vision.PatchSize}},
            "projection_dim": 768,
            "vocab_size": 32000
          },
          "vision_feature_layer": -2,
          "vision_feature_select_strategy": "default",
          "vocab_size": {{c.Text.VocabSize}}
        }
        """);

    /// <summary>Writes random tensors of the published layout into two shards, with <paramref name="rename"/> applied to the stored names.</summary>
    Dictionary<string, Tensor> WritePublished(LlavaConfig cfg, Func<string, string> rename)
    {
        Directory.CreateDirectory(_dir);
        var gen = new Generator(21);
        var tensors = PublishedLayout(cfg).ToDictionary(t => t.Name, t => Tensor.Randn(gen, t.Shape, 0f, 0.05f));
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        for (int shard = 0; shard < 2; shard++)
            SafeTensors.Save(Path.Combine(_dir, $"model-0000{shard + 1}-of-00002.safetensors"),
                names.Where((_, i) => i % 2 == shard).ToDictionary(rename, n => tensors[n]), new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(Path.Combine(_dir, "config.json"), PublishedConfigJson(cfg));
        return tensors;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PublishedFolderLoadsEveryTensorInItsPlace(bool transformers452Names)
    {
        var cfg = TinyNext();
        var written = WritePublished(cfg, transformers452Names ? NewerName : n => n);
        var vlm = HfCheckpoint.LoadLlava(_dir);
        Assert.Equal(cfg.ImageGridPinpoints, vlm.Config.ImageGridPinpoints);
        Assert.Equal(cfg with { ImageGridPinpoints = null }, vlm.Config with { ImageGridPinpoints = null });
        var loaded = vlm.StateDict();
        foreach (var (name, tensor) in written) Assert.Equal(tensor.ToArray(), loaded[name].ToArray());
        Assert.Equal(written["image_newline"].ToArray(), vlm.ImageNewline!.ToArray());
    }

    /// <summary>The names transformers 4.52+ saves (LlavaNextForConditionalGeneration's checkpoint conversion mapping, reversed).</summary>
    static string NewerName(string name) =>
        name.StartsWith("language_model.model.", StringComparison.Ordinal) ? "model.language_model." + name["language_model.model.".Length..]
        : name.StartsWith("language_model.lm_head.", StringComparison.Ordinal) ? "lm_head." + name["language_model.lm_head.".Length..]
        : "model." + name;

    [Fact]
    public void SavedAndReloadedNextModelAnswersTheSame()
    {
        var vlm = new LlavaModel(TinyNext(), new Generator(3));
        HfCheckpoint.Save(vlm, _dir);
        var json = File.ReadAllText(Path.Combine(_dir, "config.json"));
        Assert.Contains("\"llava_next\"", json);
        Assert.Contains("image_grid_pinpoints", json);
        var loaded = HfCheckpoint.LoadLlava(_dir);
        var rgb = new byte[30 * 20 * 3];
        new Random(4).NextBytes(rgb);
        var image = new DiffPrune.Data.Images.RgbImage(30, 20, rgb);
        (DiffPrune.Data.Images.RgbImage, int[])[] query = [(image, [1, 39, 5, 6])];
        Assert.Equal(new VlmInference(vlm).Generate(query, null, 4, eosId: null), new VlmInference(loaded).Generate(query, null, 4, eosId: null));
    }

    [Fact]
    public void BadNextConfigsAreRefusedWithTheKeyAtFault()
    {
        var cfg = TinyNext();
        WritePublished(cfg, n => n);
        var path = Path.Combine(_dir, "config.json");
        string good = File.ReadAllText(path);

        string Error(string json)
        {
            File.WriteAllText(path, json);
            return Assert.Throws<InvalidDataException>(() => HfCheckpoint.LoadLlava(_dir)).Message;
        }

        Assert.Contains("needs image_grid_pinpoints", Error(good.Replace("\"image_grid_pinpoints\": [[16, 32], [32, 16], [32, 32]],", "")));
        Assert.Contains("must be whole tiles", Error(good.Replace("[[16, 32], [32, 16], [32, 32]]", "[[16, 30]]")));
        Assert.Contains("not a [height, width] pair", Error(good.Replace("[[16, 32], [32, 16], [32, 32]]", "[[16, 32, 48]]")));
        Assert.Contains("use_image_newline_parameter", Error(good.Replace("\"use_image_newline_parameter\": true", "\"use_image_newline_parameter\": false")));
        Assert.Contains("vocab_size 41 disagrees", Error(good.Replace($"\"vocab_size\": {cfg.Text.VocabSize}\n}}", "\"vocab_size\": 41\n}")));
        File.WriteAllText(path, good);
        File.Delete(Directory.GetFiles(_dir, "*.safetensors").Order(StringComparer.Ordinal).First());
        Assert.Contains("missing tensor", Assert.Throws<InvalidDataException>(() => HfCheckpoint.LoadLlava(_dir)).Message);
    }

    sealed class NameAndShape : IEqualityComparer<(string Name, int[] Shape)>
    {
        public bool Equals((string Name, int[] Shape) a, (string Name, int[] Shape) b) => a.Name == b.Name && a.Shape.SequenceEqual(b.Shape);
        public int GetHashCode((string Name, int[] Shape) t) => t.Name.GetHashCode(StringComparison.Ordinal);
    }
}
