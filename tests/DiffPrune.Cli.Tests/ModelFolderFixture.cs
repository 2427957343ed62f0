using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Cli.Tests;

/// <summary>A folder with a tiny random VLM at SceneBench geometry (as pretrain writes it), a scene PNG and a non-PNG file.</summary>
public sealed class ModelFolderFixture : IDisposable
{
    public ModelFolderFixture()
    {
        Root = Directory.CreateTempSubdirectory("diffprune-cli-test-").FullName;
        var tokenizer = WordTokenizer.ForSceneBench();
        var config = new LlavaConfig
        {
            Vision = new VisionConfig { ImageSize = 96, PatchSize = 8, HiddenSize = 16, IntermediateSize = 32, NumLayers = 2, NumHeads = 2 },
            Text = new LlamaConfig { VocabSize = tokenizer.VocabSize, HiddenSize = 16, IntermediateSize = 24, NumLayers = 2, NumHeads = 2, NumKvHeads = 2, TieWordEmbeddings = false },
            ImageTokenId = WordTokenizer.ImageId,
        };
        HfCheckpoint.Save(new LlavaModel(config, new Generator(1)), Model);
        tokenizer.Save(Path.Combine(Model, ModelFolder.TokenizerFile));
        PngEncoder.Save(new SceneBench().Split(SceneSplit.Test, 1).First().Scene.Image, Image);
        File.WriteAllText(NotPng, "GIF89a, not a PNG");
    }

    public string Root { get; }

    public string Model => Path.Combine(Root, "model");

    public string Image => Path.Combine(Root, "scene.png");

    public string NotPng => Path.Combine(Root, "scene.gif");

    /// <summary>A fresh output folder under the fixture's root.</summary>
    public string Out(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
