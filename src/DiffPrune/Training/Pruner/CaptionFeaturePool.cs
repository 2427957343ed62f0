using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Training.Pruner;

/// <summary>
/// The frozen VLM's visual tokens for a fixed set of training scenes, with their captions, encoded once. The VLM never
/// changes while a pruner trains, so its vision tower need not run at every step; runs on one VLM (several budgets, the
/// ablations) can share one pool. The scenes are drawn from the train split by <see cref="Seed"/>.
/// </summary>
public sealed class CaptionFeaturePool
{
    /// <summary>Visual tokens (P, N, d_v), with each scene's positions (and spans, on a LLaVA-NeXT model).</summary>
    public VisualTokens Tokens { get; }

    /// <summary>Each scene's caption as a training sequence (<see cref="ScenePrompt.TrainingIds(WordTokenizer, string, string)"/>).</summary>
    public int[][] Ids { get; }

    /// <summary>Where each caption's answer starts in <see cref="Ids"/>.</summary>
    public int[] AnswerStart { get; }

    /// <summary>Per scene, its questions and answers as training sequences (empty arrays in a captions-only pool).</summary>
    public (int[] Ids, int AnswerStart)[][] Questions { get; }

    /// <summary>True when batches mix questions with the captions.</summary>
    public bool WithQuestions => Questions.Any(q => q.Length > 0);

    /// <summary>The seed the scenes were drawn with.</summary>
    public ulong Seed { get; }

    /// <summary>Scenes in the pool (P).</summary>
    public int Count => Ids.Length;

    CaptionFeaturePool(VisualTokens tokens, int[][] ids, int[] answerStart, (int[] Ids, int AnswerStart)[][] questions, ulong seed)
    {
        Tokens = tokens;
        Ids = ids;
        AnswerStart = answerStart;
        Questions = questions;
        Seed = seed;
    }

    /// <summary>Encodes <paramref name="count"/> training scenes drawn by <paramref name="seed"/>, <paramref name="batch"/> images at a time;
    /// with <paramref name="questions"/>, each scene also brings its benchmark questions on its own image (see <see cref="Batch"/>).
    /// In a <paramref name="world"/> of several ranks each rank encodes its share of the batches and sends them to all: every rank
    /// ends with the pool one process would encode, bit for bit (a batch is encoded whole, by one rank).</summary>
    /// <exception cref="ArgumentOutOfRangeException">count or batch below 1.</exception>
    public static CaptionFeaturePool Encode(IVisionLanguageModel vlm, WordTokenizer tokenizer, SceneOptions scenes, int count, ulong seed, int batch = 64, bool questions = false,
        Communicator? world = null)
    {
        if (count < 1 || batch < 1) throw new ArgumentOutOfRangeException(nameof(count), $"a feature pool needs at least 1 scene and a batch of at least 1 (got {count}, {batch})");
        world ??= Communicator.Single;
        var share = WorkShare.Of(world);
        var drawn = SceneBench.DrawTrainingScenes(new Generator(seed), count, scenes);
        // every rank knows where each scene's tokens go without having encoded it
        var placements = drawn.Select(s => vlm.Place(s.Image)).ToArray();
        int slots = placements.Max(p => p.PatchIndex.Length);
        var parts = new List<Tensor>();
        using (Autograd.NoGrad())
            foreach (var (chunk, index) in drawn.Chunk(batch).Select((c, i) => (c, i)))
            {
                var part = share.Owns(index) ? Padded(vlm.Encode(chunk.Select(s => s.Image).ToArray(), ImageNormalization.Clip, attentions: false).Features, slots) : null;
                parts.Add(world.Size == 1 ? part! : FromOwner(world, part, index % world.Size));
            }
        var sequences = drawn.Select(s => ScenePrompt.TrainingIds(tokenizer, "", s.Caption)).ToArray();
        var asked = drawn.Select(s => questions ? QuestionIds(tokenizer, s) : []).ToArray();
        return new CaptionFeaturePool(TokenPlacement.Tokens(Tensor.Cat(parts, 0), placements), sequences.Select(s => s.Ids).ToArray(), sequences.Select(s => s.AnswerStart).ToArray(), asked, seed);
    }

    /// <summary>Features (B, n, d) zero-padded to (B, <paramref name="slots"/>, d): chunks of images of different sizes stack into one pool.</summary>
    static Tensor Padded(Tensor features, int slots) => features.Shape[1] == slots ? features
        : Tensor.Cat([features, Tensor.Zeros(features.Shape[0], slots - features.Shape[1], features.Shape[2])], 1);

    /// <summary>The owner's <paramref name="part"/> (null on the other ranks) on every rank: its shape, then its values.</summary>
    static Tensor FromOwner(Communicator world, Tensor? part, int owner)
    {
        int[] shape = part == null ? new int[3] : (int[])part.Shape.Clone();
        world.Broadcast<int>(shape, owner);
        var all = part ?? Tensor.Zeros(shape[0], shape[1], shape[2]);
        world.Broadcast(all.Data, owner);
        return all;
    }

    // questions shown another image (VizWiz's degraded copies) would pair the text with features it is not about
    static (int[] Ids, int AnswerStart)[] QuestionIds(WordTokenizer tokenizer, Scene scene) =>
        SceneBench.Questions(scene).Where(q => q.Image == null).Select(q => ScenePrompt.TrainingIds(tokenizer, q.Prompt, q.Answer)).ToArray();

    /// <summary><paramref name="size"/> scenes drawn uniformly with replacement by <paramref name="gen"/>, each with its caption, or
    /// in a pool <see cref="WithQuestions"/> with its caption or one of its questions, each half the time.</summary>
    public (VisualTokens Tokens, int[][] Ids, int[] AnswerStart) Batch(Generator gen, int size)
    {
        var rows = Enumerable.Range(0, size).Select(_ => (int)(gen.NextUInt64() % (ulong)Count)).ToArray();
        var texts = rows.Select(r => Text(gen, r)).ToArray();
        return (Tokens.Rows(rows), texts.Select(t => t.Ids).ToArray(), texts.Select(t => t.AnswerStart).ToArray());
    }

    (int[] Ids, int AnswerStart) Text(Generator gen, int row)
    {
        var asked = Questions[row];
        if (asked.Length == 0) return (Ids[row], AnswerStart[row]);   // captions only: no draw, so such runs keep their numbers
        ulong draw = gen.NextUInt64() % (ulong)(2 * asked.Length);
        return draw < (ulong)asked.Length ? asked[draw] : (Ids[row], AnswerStart[row]);
    }
}
