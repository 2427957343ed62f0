using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;

namespace DiffPrune.Training.Pruner;

/// <summary>
/// The frozen VLM's visual tokens for a fixed set of training scenes, with their captions, encoded once. The VLM never
/// changes while a pruner trains, so its vision tower need not run at every step; runs on one VLM (several budgets, the
/// ablations) can share one pool. The scenes are drawn from the train split by <see cref="Seed"/>.
/// </summary>
public sealed class CaptionFeaturePool
{
    /// <summary>Visual tokens (P, N, d_v).</summary>
    public Tensor Features { get; }

    /// <summary>Each scene's caption as a training sequence (<see cref="ScenePrompt.TrainingIds(WordTokenizer, string, string)"/>).</summary>
    public int[][] Ids { get; }

    /// <summary>Where each caption's answer starts in <see cref="Ids"/>.</summary>
    public int[] AnswerStart { get; }

    /// <summary>The seed the scenes were drawn with.</summary>
    public ulong Seed { get; }

    /// <summary>Scenes in the pool (P).</summary>
    public int Count => Ids.Length;

    CaptionFeaturePool(Tensor features, int[][] ids, int[] answerStart, ulong seed)
    {
        Features = features;
        Ids = ids;
        AnswerStart = answerStart;
        Seed = seed;
    }

    /// <summary>Encodes <paramref name="count"/> training scenes drawn by <paramref name="seed"/>, <paramref name="batch"/> images at a time.</summary>
    /// <exception cref="ArgumentOutOfRangeException">count or batch below 1.</exception>
    public static CaptionFeaturePool Encode(LlavaModel vlm, WordTokenizer tokenizer, SceneOptions scenes, int count, ulong seed, int batch = 64)
    {
        if (count < 1 || batch < 1) throw new ArgumentOutOfRangeException(nameof(count), $"a feature pool needs at least 1 scene and a batch of at least 1 (got {count}, {batch})");
        var drawn = SceneBench.DrawTrainingScenes(new Generator(seed), count, scenes);
        var parts = new List<Tensor>();
        using (Autograd.NoGrad())
            foreach (var chunk in drawn.Chunk(batch))
                parts.Add(vlm.EncodeImages(ImageTensors.ToTensor(chunk.Select(s => s.Image).ToArray(), ImageNormalization.Clip)).Features);
        var sequences = drawn.Select(s => ScenePrompt.TrainingIds(tokenizer, "", s.Caption)).ToArray();
        return new CaptionFeaturePool(Tensor.Cat(parts, 0), sequences.Select(s => s.Ids).ToArray(), sequences.Select(s => s.AnswerStart).ToArray(), seed);
    }

    /// <summary><paramref name="size"/> scenes drawn uniformly with replacement by <paramref name="gen"/>.</summary>
    public (Tensor Features, int[][] Ids, int[] AnswerStart) Batch(Generator gen, int size)
    {
        var rows = Enumerable.Range(0, size).Select(_ => (int)(gen.NextUInt64() % (ulong)Count)).ToArray();
        return (Features.IndexSelect(0, rows), rows.Select(r => Ids[r]).ToArray(), rows.Select(r => AnswerStart[r]).ToArray());
    }
}
