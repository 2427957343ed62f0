using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;

namespace DiffPrune.Models.Loaders;

/// <summary>
/// A base-VLM folder as <c>diffprune pretrain</c> writes it (its <c>model/</c>): a Hugging Face LLaVA folder
/// (config.json, model.safetensors; <see cref="HfCheckpoint"/>) plus the word tokenizer, tokenizer.txt.
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
        return (HfCheckpoint.LoadLlava(dir), tokenizer);
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
