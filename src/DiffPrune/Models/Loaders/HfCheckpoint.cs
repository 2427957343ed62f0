using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Models.Loaders;

/// <summary>
/// Hugging Face model folders: <c>config.json</c> plus one or more <c>*.safetensors</c> files with llava-hf /
/// transformers tensor names. Weights are read from memory-mapped files straight into the parameters.
/// </summary>
public static class HfCheckpoint
{
    /// <summary>Loads a LLaVA folder.</summary>
    /// <exception cref="InvalidDataException">Bad config, or missing / unexpected / mis-shaped tensors (named).</exception>
    public static LlavaModel LoadLlava(string dir)
    {
        var cfg = HfConfig.ParseLlava(ReadConfig(dir), Path.Combine(dir, "config.json"));
        var model = new LlavaModel(cfg, new Generator(0));
        LoadWeights(model, dir, cfg.Text.TieWordEmbeddings ? "language_model.lm_head.weight" : null);
        return model;
    }

    /// <summary>Loads a LLaMA (causal LM) folder.</summary>
    public static LlamaForCausalLM LoadLlama(string dir)
    {
        var cfg = HfConfig.ParseLlama(ReadConfig(dir), Path.Combine(dir, "config.json"));
        var model = new LlamaForCausalLM(cfg, new Generator(0));
        LoadWeights(model, dir, cfg.TieWordEmbeddings ? "lm_head.weight" : null);
        return model;
    }

    /// <summary>Writes config.json and model.safetensors (F32) into <paramref name="dir"/> (created if needed; each file atomically).</summary>
    public static void Save(LlavaModel model, string dir, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(model, HfConfig.ToJson(model.Config), dir, metadata);

    /// <summary>Writes config.json and model.safetensors for a LLaMA.</summary>
    public static void Save(LlamaForCausalLM model, string dir, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(model, HfConfig.ToJson(model.Config), dir, metadata);

    static void Save(Module model, string configJson, string dir, IReadOnlyDictionary<string, string>? metadata)
    {
        Directory.CreateDirectory(dir);
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), model.StateDict(), metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), configJson);
    }

    static string ReadConfig(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"model folder {dir} does not exist");
        var path = Path.Combine(dir, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{dir} has no config.json (a Hugging Face model folder holds config.json and *.safetensors)");
        return File.ReadAllText(path);
    }

    /// <summary>Checks names and shapes against every *.safetensors file in the folder, then fills the parameters.</summary>
    static void LoadWeights(Module model, string dir, string? tiedHead)
    {
        var files = Directory.GetFiles(dir, "*.safetensors").Order(StringComparer.Ordinal).Select(SafeTensorsFile.Open).ToList();
        try
        {
            if (files.Count == 0) throw new FileNotFoundException($"{dir} holds no *.safetensors file");
            // a tied head may be stored too; it is the embedding
            model.LoadSafeTensors(files, strict: true, source: dir, ignore: name => name == tiedHead);
        }
        finally
        {
            foreach (var f in files) f.Dispose();
        }
    }
}
