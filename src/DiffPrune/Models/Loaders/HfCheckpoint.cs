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
    /// <summary>The largest config.json read: real ones are a few KB.</summary>
    const long MaxConfigBytes = 1 << 20;

    /// <summary>
    /// Loads a LLaVA folder: LLaVA-1.5 (<c>model_type: llava</c>) or LLaVA-NeXT (<c>llava_next</c>, with
    /// <c>image_grid_pinpoints</c> and the <c>image_newline</c> tensor). Tensor names are llava-hf's as the published
    /// checkpoints store them (<c>language_model.model.*</c>, <c>vision_tower.*</c>, <c>image_newline</c>, …); the layout
    /// transformers 4.52+ writes (<c>model.language_model.*</c>, <c>model.image_newline</c>, <c>lm_head.*</c>) is read too.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="FileNotFoundException">No config.json or no *.safetensors.</exception>
    /// <exception cref="InvalidDataException">
    /// Bad config; weights whose headers do not add up to the config's shapes (checked before the model is built);
    /// missing / unexpected / mis-shaped tensors, or non-finite weights (named).
    /// </exception>
    /// <exception cref="ResourceLimitException">The model needs more memory than the machine has.</exception>
    public static LlavaModel LoadLlava(string dir)
    {
        var cfg = HfConfig.ParseLlava(ReadConfig(dir), Path.Combine(dir, "config.json"));
        return LoadWeights(dir, Count(dir, cfg.ParameterCount), cfg.Text.TieWordEmbeddings ? "language_model.lm_head.weight" : null,
            () => new LlavaModel(cfg, new Generator(0)), LlavaName);
    }

    static readonly (string Stored, string Ours)[] LlavaPrefixes =
    [
        ("model.language_model.", "language_model.model."),
        ("model.vision_tower.", "vision_tower."),
        ("model.multi_modal_projector.", "multi_modal_projector."),
        ("model.image_newline", "image_newline"),
        ("lm_head.", "language_model.lm_head."),
    ];

    /// <summary>A tensor name of the transformers 4.52+ LLaVA layout in the published checkpoints' layout (others unchanged).</summary>
    public static string LlavaName(string stored)
    {
        foreach (var (from, to) in LlavaPrefixes)
            if (stored.StartsWith(from, StringComparison.Ordinal)) return to + stored[from.Length..];
        return stored;
    }

    /// <summary>
    /// Loads a Qwen2.5-VL folder (<c>model_type: qwen2_5_vl</c>, <see cref="HfConfig.ParseQwen25Vl"/>) as a
    /// <see cref="Qwen25VlModel"/>. Tensor names are the published checkpoints' (<c>visual.*</c>, <c>model.layers.*</c>,
    /// <c>model.embed_tokens.weight</c>, <c>model.norm.weight</c>, <c>lm_head.weight</c>) or those transformers 4.52+ writes
    /// (<c>model.visual.*</c>, <c>model.language_model.*</c>, <c>lm_head.weight</c>); a tied head may be stored or not.
    /// </summary>
    /// <exception cref="InvalidDataException">As <see cref="LoadLlava"/>.</exception>
    /// <exception cref="ResourceLimitException">The model needs more memory than the machine has.</exception>
    public static Qwen25VlModel LoadQwen25Vl(string dir)
    {
        var cfg = HfConfig.ParseQwen25Vl(ReadConfig(dir), Path.Combine(dir, "config.json"));
        return LoadWeights(dir, Count(dir, cfg.ParameterCount), cfg.Text.TieWordEmbeddings ? "lm_head.weight" : null,
            () => new Qwen25VlModel(cfg, new Generator(0)), Qwen25VlName);
    }

    static readonly (string Stored, string Ours)[] Qwen25VlPrefixes = [("model.visual.", "visual."), ("model.language_model.", "model.")];

    /// <summary>A tensor name of the transformers 4.52+ Qwen2.5-VL layout in the published checkpoints' layout (others unchanged).</summary>
    public static string Qwen25VlName(string stored)
    {
        foreach (var (from, to) in Qwen25VlPrefixes)
            if (stored.StartsWith(from, StringComparison.Ordinal)) return to + stored[from.Length..];
        return stored;
    }

    /// <summary>Loads a LLaMA or Qwen2 causal-LM folder (<see cref="HfConfig.ParseLlama"/>; Qwen2's biases are <c>model.layers.i.self_attn.q_proj.bias</c> etc.).</summary>
    /// <exception cref="InvalidDataException">As <see cref="LoadLlava"/>.</exception>
    /// <exception cref="ResourceLimitException">The model needs more memory than the machine has.</exception>
    public static LlamaForCausalLM LoadLlama(string dir)
    {
        var cfg = HfConfig.ParseLlama(ReadConfig(dir), Path.Combine(dir, "config.json"));
        return LoadWeights(dir, Count(dir, cfg.ParameterCount), cfg.TieWordEmbeddings ? "lm_head.weight" : null,
            () => new LlamaForCausalLM(cfg, new Generator(0)));
    }

    static long Count(string dir, Func<long> parameters)
    {
        try { return parameters(); }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{Path.Combine(dir, "config.json")}: its shapes count more parameters than 64 bits hold: not a real model's config");
        }
    }

    /// <summary>Writes config.json and model.safetensors (F32) into <paramref name="dir"/> (created if needed; each file atomically).</summary>
    public static void Save(LlavaModel model, string dir, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(model, HfConfig.ToJson(model.Config), dir, metadata);

    /// <summary>Writes config.json and model.safetensors for a LLaMA.</summary>
    public static void Save(LlamaForCausalLM model, string dir, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(model, HfConfig.ToJson(model.Config), dir, metadata);

    /// <summary>Writes config.json (the published flat layout) and model.safetensors (the published tensor names) for a Qwen2.5-VL model.</summary>
    public static void Save(Qwen25VlModel model, string dir, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(model, HfConfig.ToJson(model.Config), dir, metadata);

    static void Save(Module model, string configJson, string dir, IReadOnlyDictionary<string, string>? metadata)
    {
        Directory.CreateDirectory(dir);
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), model.StateDict(), metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), configJson);
    }

    internal static string ReadConfig(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"model folder {dir} does not exist");
        var path = Path.Combine(dir, "config.json");
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"{dir} has no config.json (a Hugging Face model folder holds config.json and *.safetensors)", path);
        InputFile.CheckRegular(path, "config.json");
        if (new FileInfo(path).Length > MaxConfigBytes)
            throw new InvalidDataException($"{path} is {new FileInfo(path).Length:N0} bytes; a config.json is a few KB: give the model folder's own config");
        return File.ReadAllText(path);
    }

    /// <summary>
    /// Opens every *.safetensors file of the folder (headers only), checks that their tensors come near the
    /// <paramref name="parameters"/> the config describes and that the machine has the memory, and only then builds the
    /// model and fills it (names and shapes checked tensor by tensor).
    /// </summary>
    static T LoadWeights<T>(string dir, long parameters, string? tiedHead, Func<T> build, Func<string, string>? rename = null) where T : Module
    {
        var files = new List<SafeTensorsFile>();
        try
        {
            foreach (var path in Directory.GetFiles(dir, "*.safetensors").Order(StringComparer.Ordinal)) files.Add(SafeTensorsFile.Open(path));
            if (files.Count == 0) throw new FileNotFoundException($"{dir} holds no *.safetensors file", dir);
            long stored = StoredElements(files, tiedHead, rename);
            // a config far larger than its weights is refused before building; a near miss is built, so that the
            // strict load below names the missing, unexpected or mis-shaped tensors
            if (parameters > 2 * stored + (1 << 20))
                throw new InvalidDataException($"{dir}: config.json describes {parameters:N0} parameters but the *.safetensors files hold {stored:N0}: " +
                    "the config and the weights are of different models (or a file is missing)");
            MemoryBudget.Require(checked(4 * parameters), $"model folder {dir} ({parameters:N0} parameters)", "use a smaller model or a machine with more memory");
            var model = build();
            // a tied head may be stored too; it is the embedding
            model.LoadSafeTensors(files, strict: true, source: dir, ignore: name => name == tiedHead, rename: rename);
            return model;
        }
        finally
        {
            foreach (var f in files) f.Dispose();
        }
    }

    /// <summary>Elements of every tensor in the files but a stored copy of the tied head (bounded by the files' sizes).</summary>
    static long StoredElements(IReadOnlyList<SafeTensorsFile> files, string? tiedHead, Func<string, string>? rename)
    {
        long total = 0;
        foreach (var f in files)
            foreach (var name in f.Names.Where(n => (rename?.Invoke(n) ?? n) != tiedHead))
                total += f.ShapeOf(name).Aggregate(1L, (a, b) => a * b);
        return total;
    }
}
