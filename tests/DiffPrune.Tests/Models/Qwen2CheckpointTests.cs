using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Models;

/// <summary>Qwen2 language models from Hugging Face folders: the q/k/v biases by their HF names, M-RoPE from rope_scaling.</summary>
public sealed class Qwen2CheckpointTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A Qwen2 config.json as Qwen2ForCausalLM writes it, at a toy shape (head dim 16).</summary>
    const string TinyQwen2 = """
        {
          "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "attention_dropout": 0.0, "bos_token_id": 0,
          "eos_token_id": 1, "hidden_act": "silu", "hidden_size": 32, "initializer_range": 0.02, "intermediate_size": 48,
          "max_position_embeddings": 128, "max_window_layers": 2, "num_attention_heads": 2, "num_hidden_layers": 2,
          "num_key_value_heads": 1, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 128,
          "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.37.2", "use_cache": true,
          "use_sliding_window": false, "vocab_size": 40
        }
        """;

    /// <summary>Qwen2.5-VL-7B-Instruct's config.json (the published flat layout; vision_config shortened).</summary>
    const string Qwen25Vl7B = """
        {
          "architectures": ["Qwen2_5_VLForConditionalGeneration"], "attention_dropout": 0.0, "bos_token_id": 151643,
          "eos_token_id": 151645, "vision_start_token_id": 151652, "vision_end_token_id": 151653, "vision_token_id": 151654,
          "image_token_id": 151655, "video_token_id": 151656, "hidden_act": "silu", "hidden_size": 3584, "initializer_range": 0.02,
          "intermediate_size": 18944, "max_position_embeddings": 128000, "max_window_layers": 28, "model_type": "qwen2_5_vl",
          "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
          "sliding_window": 32768, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.41.2",
          "use_cache": true, "use_sliding_window": false,
          "vision_config": { "depth": 32, "hidden_size": 1280, "out_hidden_size": 3584, "spatial_merge_size": 2 },
          "rope_scaling": { "type": "mrope", "mrope_section": [16, 24, 24] },
          "vocab_size": 152064
        }
        """;

    /// <summary>Seeded tensors under Hugging Face Qwen2's names for <see cref="TinyQwen2"/>.</summary>
    static Dictionary<string, Tensor> HfTensors()
    {
        var gen = new Generator(17);
        Tensor R(params int[] shape) => Tensor.Randn(gen, shape, 0f, 0.2f);
        Tensor Norm() => Tensor.Randn(gen, [32], 1f, 0.1f);
        var tensors = new Dictionary<string, Tensor> { ["model.embed_tokens.weight"] = R(40, 32), ["model.norm.weight"] = Norm(), ["lm_head.weight"] = R(40, 32) };
        for (int l = 0; l < 2; l++)
        {
            string a = $"model.layers.{l}.self_attn.", m = $"model.layers.{l}.mlp.";
            (tensors[a + "q_proj.weight"], tensors[a + "q_proj.bias"]) = (R(32, 32), R(32));
            (tensors[a + "k_proj.weight"], tensors[a + "k_proj.bias"]) = (R(16, 32), R(16));
            (tensors[a + "v_proj.weight"], tensors[a + "v_proj.bias"]) = (R(16, 32), R(16));
            tensors[a + "o_proj.weight"] = R(32, 32);
            (tensors[m + "gate_proj.weight"], tensors[m + "up_proj.weight"], tensors[m + "down_proj.weight"]) = (R(48, 32), R(48, 32), R(32, 48));
            (tensors[$"model.layers.{l}.input_layernorm.weight"], tensors[$"model.layers.{l}.post_attention_layernorm.weight"]) = (Norm(), Norm());
        }
        return tensors;
    }

    static Tensor Logits(LlamaForCausalLM lm, int[] positions) =>
        lm.Forward(new DecoderInput(lm.Embed(new IntTensor([1, 9, 4, 22, 7, 30], 1, 6)), positions)).Logits;

    [Fact]
    public void Qwen2FolderLoadsItsBiasesAndEachOneChangesTheOutput()
    {
        var written = HfTensors();
        File.WriteAllText(_dir.File("config.json"), TinyQwen2);
        SafeTensors.Save(_dir.File("model.safetensors"), written);
        var lm = HfCheckpoint.LoadLlama(_dir.Path);
        Assert.True(lm.Config.AttentionBias);
        Assert.Null(lm.Config.MropeSection);
        Assert.Equal(1e6f, lm.Config.RopeTheta);
        var attn = lm.Model.Layers[1].SelfAttn;
        Assert.Equal(written["model.layers.1.self_attn.q_proj.bias"].ToArray(), attn.QProj.Bias!.ToArray());
        Assert.Equal(written["model.layers.1.self_attn.k_proj.bias"].ToArray(), attn.KProj.Bias!.ToArray());
        Assert.Equal(written["model.layers.1.self_attn.v_proj.bias"].ToArray(), attn.VProj.Bias!.ToArray());
        Assert.Null(attn.OProj.Bias);

        using var _ = Autograd.NoGrad();
        int[] positions = [0, 1, 2, 3, 4, 5];
        var logits = Logits(lm, positions);
        // a key bias shifts every score of a query by q·R(j)b, which RoPE makes depend on the key: it too must matter
        foreach (var proj in new[] { attn.QProj, attn.KProj, attn.VProj })
        {
            var bias = proj.Bias!.ToArray();
            proj.Bias.Data.Clear();
            var without = Logits(lm, positions);
            bias.CopyTo(proj.Bias.Data);
            double diff = logits.ToArray().Zip(without.ToArray(), (x, y) => Math.Abs((double)x - y)).Max();
            Assert.True(diff > 1e-3, $"zeroing a {proj.OutFeatures}-wide bias changed the logits by only {diff:G3}");
        }
        Tolerance.AssertClose(logits, Logits(lm, positions), atol: 0, rtol: 0);
    }

    [Fact]
    public void AnMropeModelWrittenAndReadBackGivesIdenticalOutputs()
    {
        var cfg = TinyModels.Llama() with { NumHeads = 2, NumKvHeads = 1, AttentionBias = true, MropeSection = [2, 3, 3] };
        var lm = new LlamaForCausalLM(cfg, new Generator(8));
        HfCheckpoint.Save(lm, _dir.Path);
        Assert.Contains("model.layers.0.self_attn.v_proj.bias", SafeTensors.Load(_dir.File("model.safetensors")).Keys);
        var loaded = HfCheckpoint.LoadLlama(_dir.Path);
        Assert.Equal(cfg with { MropeSection = null }, loaded.Config with { MropeSection = null });
        Assert.Equal([2, 3, 3], loaded.Config.MropeSection!);
        using var _ = Autograd.NoGrad();
        int[] planes = [0, 1, 1, 1, 1, 3, /* height */ 0, 1, 1, 2, 2, 3, /* width */ 0, 1, 2, 1, 2, 3];
        Assert.Equal(Logits(lm, planes).ToArray(), Logits(loaded, planes).ToArray());
    }

    [Fact]
    public void Qwen25VlConfigGivesItsLanguageModel()
    {
        var cfg = HfConfig.ParseLlama(Qwen25Vl7B);
        Assert.Equal((3584, 18944, 28, 28, 4, 152064, 128), (cfg.HiddenSize, cfg.IntermediateSize, cfg.NumLayers, cfg.NumHeads, cfg.NumKvHeads, cfg.VocabSize, cfg.HeadDim));
        Assert.True(cfg.AttentionBias);
        Assert.Equal([16, 24, 24], cfg.MropeSection!);
        Assert.Equal(1e6f, cfg.RopeTheta);
        // as transformers saves it: the text part under its own model_type, mrope renamed to default
        var text = """
            { "model_type": "qwen2_5_vl_text", "vocab_size": 40, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
              "num_attention_heads": 2, "num_key_value_heads": 1, "rope_theta": 1000000.0,
              "rope_scaling": { "type": "default", "rope_type": "default", "mrope_section": [2, 3, 3] } }
            """;
        Assert.Equal([2, 3, 3], HfConfig.ParseLlama(text).MropeSection!);
        Assert.Null(HfConfig.ParseLlama(text.Replace(""", "mrope_section": [2, 3, 3]""", "")).MropeSection);
    }

    [Fact]
    public void BadMropeSectionIsRefusedNamingIt()
    {
        var bad = Assert.Throws<InvalidDataException>(() => HfConfig.ParseLlama(Qwen25Vl7B.Replace("[16, 24, 24]", "[16, 24, 16]"), "qwen/config.json")).Message;
        Assert.StartsWith("qwen/config.json", bad);
        Assert.Contains("mrope_section [16, 24, 16]", bad);
        Assert.Contains("head dim / 2 = 64", bad);
        Assert.Contains("needs mrope_section", Fails(Qwen25Vl7B.Replace(""", "mrope_section": [16, 24, 24]""", "")));
        Assert.Contains("rope_scaling.mrope_section must be a list", Fails(Qwen25Vl7B.Replace("[16, 24, 24]", "16")));
    }

    [Fact]
    public void WhatThisDecoderCannotRunIsRefusedNotIgnored()
    {
        Assert.Contains("use_sliding_window true", Fails(TinyQwen2.Replace("\"use_sliding_window\": false", "\"use_sliding_window\": true")));
        Assert.Contains("hidden_size is missing", Fails(TinyQwen2.Replace("\"hidden_size\": 32, ", "")));
        var llama = HfConfig.ToJson(TinyModels.Llama());
        Assert.Contains("rope_scaling type 'linear'", Fails(llama.Replace("\"hidden_act\"", "\"rope_scaling\": { \"type\": \"linear\", \"factor\": 2.0 }, \"hidden_act\"")));
        Assert.Contains("attention_bias true", Fails(llama.Replace("\"hidden_act\"", "\"attention_bias\": true, \"hidden_act\"")));
        Assert.Contains("unknown key 'sliding_window'", Fails(llama.Replace("\"hidden_act\"", "\"sliding_window\": 4096, \"hidden_act\"")));
        Assert.Contains("model_type is 'mistral'", Fails(llama.Replace("\"llama\"", "\"mistral\"")));
        Assert.Equal(TinyModels.Llama(), HfConfig.ParseLlama(llama.Replace("\"hidden_act\"", "\"rope_scaling\": null, \"attention_bias\": false, \"hidden_act\"")));
    }

    static string Fails(string json) => Assert.Throws<InvalidDataException>(() => HfConfig.ParseLlama(json)).Message;
}
