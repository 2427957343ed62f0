using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Models.Loaders;

/// <summary>
/// A base-VLM folder as <c>diffprune pretrain</c> writes it (its <c>model/</c>): a Hugging Face LLaVA folder
/// (config.json, model.safetensors; <see cref="HfCheckpoint"/>) plus the word tokenizer, tokenizer.txt; or a Qwen2.5-VL
/// folder (<see cref="LoadQwen25Vl"/>).
/// </summary>
public static class ModelFolder
{
    /// <summary>The tokenizer's file name inside the folder.</summary>
    public const string TokenizerFile = "tokenizer.txt";

    /// <summary>Loads the VLM and its tokenizer from <paramref name="dir"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder (the message says what a model folder holds).</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or a file in it may not be read.</exception>
    /// <exception cref="InvalidDataException">Bad config or weights (named).</exception>
    public static (LlavaModel Vlm, WordTokenizer Tokenizer) Load(string dir)
    {
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"model folder {dir} does not exist: give the model/ folder diffprune pretrain writes (config.json, model.safetensors, {TokenizerFile})");
        var tokenizerPath = Path.Combine(dir, TokenizerFile);
        if (!File.Exists(tokenizerPath) && !CanList(dir))
            throw new UnauthorizedAccessException($"model folder {dir} cannot be read (permission denied): fix its permissions, or give a folder you may read");
        if (!File.Exists(tokenizerPath))
            throw new FileNotFoundException($"{dir} has no {TokenizerFile}: give the model/ folder diffprune pretrain writes, which holds one next to the model", tokenizerPath);
        var tokenizer = WordTokenizer.Load(tokenizerPath);
        if (HoldsQwen25Vl(dir))
            throw new InvalidDataException($"{dir} holds a Qwen2.5-VL model (model_type qwen2_5_vl); this loader gives LLaVA and LLaVA-NeXT models: load it with ModelFolder.LoadQwen25Vl");
        return (HfCheckpoint.LoadLlava(dir), tokenizer);
    }

    /// <summary>
    /// Loads the VLM in <paramref name="dir"/> with its word tokenizer, whichever kind it is: a Qwen2.5-VL folder
    /// (<see cref="LoadQwen25Vl"/>) or a LLaVA one (<see cref="Load"/>); what <see cref="VlmInference"/> evaluates.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="FileNotFoundException">A file is missing, the word tokenizer included (SceneBench's questions are asked in its vocabulary).</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or a file in it may not be read.</exception>
    /// <exception cref="InvalidDataException">Bad config or weights (named).</exception>
    public static (IVisionLanguageModel Vlm, WordTokenizer Tokenizer) LoadAny(string dir)
    {
        if (!Directory.Exists(dir) || !HoldsQwen25Vl(dir)) return Load(dir);
        var (vlm, tokenizer) = LoadQwen25Vl(dir);
        return (vlm, tokenizer ?? throw new FileNotFoundException($"{dir} has no {TokenizerFile}: SceneBench asks its questions in the word tokenizer's vocabulary; " +
            "put the tokenizer the model was trained with next to it", Path.Combine(dir, TokenizerFile)));
    }

    /// <summary>Whether <paramref name="dir"/>'s config.json is a Qwen2.5-VL one (<c>model_type: qwen2_5_vl</c>).</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="FileNotFoundException">No config.json.</exception>
    /// <exception cref="InvalidDataException">A config.json that is not JSON or has no model_type.</exception>
    public static bool IsQwen25Vl(string dir) => HfConfig.ModelType(HfCheckpoint.ReadConfig(dir), Path.Combine(dir, "config.json")) == "qwen2_5_vl";

    // a config that is not JSON or has no model_type is left to the LLaVA loader, whose errors name what is wrong
    static bool HoldsQwen25Vl(string dir)
    {
        try { return IsQwen25Vl(dir); }
        catch (InvalidDataException) { return false; }
    }

    /// <summary>
    /// Loads a Qwen2.5-VL folder as a <see cref="Qwen25VlModel"/> (<see cref="HfCheckpoint.LoadQwen25Vl"/>: a Hugging Face
    /// folder, either tensor layout) with its word tokenizer when the folder holds <see cref="TokenizerFile"/>; a Hugging Face
    /// folder's own tokenizer (tokenizer.json) is not read here, so the tokenizer is then null.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="FileNotFoundException">No config.json or no *.safetensors.</exception>
    /// <exception cref="InvalidDataException">Not a Qwen2.5-VL folder, bad config or weights (named).</exception>
    public static (Qwen25VlModel Vlm, WordTokenizer? Tokenizer) LoadQwen25Vl(string dir)
    {
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"model folder {dir} does not exist: give a Qwen2.5-VL folder (config.json, *.safetensors)");
        var vlm = HfCheckpoint.LoadQwen25Vl(dir);
        var tokenizerPath = Path.Combine(dir, TokenizerFile);
        return (vlm, File.Exists(tokenizerPath) ? WordTokenizer.Load(tokenizerPath) : null);
    }

    // a folder without read or search permission hides its files: File.Exists says false for each
    static bool CanList(string dir)
    {
        try
        {
            _ = Directory.EnumerateFileSystemEntries(dir).Any();
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
