using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Tests.Models;

public sealed class HfCheckpointTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "dp-hf-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void TinyLlavaWrittenAndReadBackGivesIdenticalOutputs()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(11));
        HfCheckpoint.Save(vlm, _dir);
        var loaded = HfCheckpoint.LoadLlava(_dir);
        Assert.Equal(vlm.Config, loaded.Config);
        Assert.Contains("language_model.model.layers.0.self_attn.q_proj.weight", SafeTensors.Load(Path.Combine(_dir, "model.safetensors")).Keys);
        Assert.Contains("vision_tower.vision_model.encoder.layers.2.mlp.fc1.bias", loaded.StateDict().Keys);
        using var _ = Autograd.NoGrad();
        var pixels = TinyModels.Pixels(2, 12);
        int[][] text = [[1, 3, 5, 6], [1, 9, 3, 2]];
        Assert.Equal(new VlmInference(vlm).Forward(pixels, text).Logits.ToArray(), new VlmInference(loaded).Forward(pixels, text).Logits.ToArray());
    }

    [Fact]
    public void MissingExtraAndMisShapedTensorsAreNamed()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(12));
        HfCheckpoint.Save(vlm, _dir);
        var file = Path.Combine(_dir, "model.safetensors");
        var good = SafeTensors.Load(file);

        void Rewrite(Action<Dictionary<string, Tensor>> edit)
        {
            var d = new Dictionary<string, Tensor>(good);
            edit(d);
            SafeTensors.Save(file, d);
        }

        Rewrite(d => d.Remove("multi_modal_projector.linear_2.bias"));
        var missing = Assert.Throws<InvalidDataException>(() => HfCheckpoint.LoadLlava(_dir)).Message;
        Assert.Contains("missing tensor 'multi_modal_projector.linear_2.bias'", missing);
        Assert.Contains(_dir, missing);

        Rewrite(d => d["language_model.model.layers.9.mlp.up_proj.weight"] = Tensor.Zeros(2, 2));
        Assert.Contains("unexpected tensor 'language_model.model.layers.9.mlp.up_proj.weight'", Assert.Throws<InvalidDataException>(() => HfCheckpoint.LoadLlava(_dir)).Message);

        Rewrite(d => d["vision_tower.vision_model.embeddings.class_embedding"] = Tensor.Zeros(23));
        Assert.Contains("'vision_tower.vision_model.embeddings.class_embedding' has shape [23], expected [24]", Assert.Throws<InvalidDataException>(() => HfCheckpoint.LoadLlava(_dir)).Message);
    }

    [Fact]
    public void ConfigErrorsNameTheKey()
    {
        var cfg = HfConfig.ToJson(TinyModels.Llava());
        Assert.Equal(TinyModels.Llava(), HfConfig.ParseLlava(cfg));
        var typo = cfg.Replace("\"num_hidden_layers\"", "\"num_hiden_layers\"");
        Assert.Contains("unknown key 'text_config.num_hiden_layers'", Assert.Throws<InvalidDataException>(() => HfConfig.ParseLlava(typo)).Message);
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => HfConfig.ParseLlava("{oops")).Message);
        Assert.Contains("no config.json", Assert.Throws<FileNotFoundException>(() => { Directory.CreateDirectory(_dir); HfCheckpoint.LoadLlava(_dir); }).Message);
    }

    [SharedDataFact("models/stories260K")]
    public void Stories260KThroughHfFormatGeneratesTheSameText()
    {
        var lm = Llama2cCheckpoint.Load(SharedData.PathOf("models/stories260K/stories260K.bin"));
        HfCheckpoint.Save(lm, _dir);
        var loaded = HfCheckpoint.LoadLlama(_dir);
        int[] ids = [1, 410, 469, 347];
        Assert.Equal(Generation.Generate(lm, TinyModels.Prompt(lm, ids), 20, SamplingOptions.Greedy)[0],
                     Generation.Generate(loaded, TinyModels.Prompt(loaded, ids), 20, SamplingOptions.Greedy)[0]);
    }
}
