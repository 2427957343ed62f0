using DiffPrune.Data.Images;
using DiffPrune.Data.Scenes;
using DiffPrune.Models.Vision;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;
using DiffPrune.Tensors.Optim;
using DiffPrune.Training.Pretraining;

namespace DiffPrune.Tests.Models;

public class VisionDenseHeadsTests
{
    static Tensor Pixels(IReadOnlyList<Scene> scenes) =>
        ImageTensors.ToTensor(scenes.Select(s => s.Image).ToArray(), ImageNormalization.Clip);

    [Fact]
    public void ATinyViTLearnsPatchColoursFromTheGeneratorsLabels()
    {
        var cfg = new VisionConfig { ImageSize = 96, PatchSize = 8, HiddenSize = 32, IntermediateSize = 64, NumLayers = 3, NumHeads = 2, HiddenAct = Activation.QuickGelu };
        var gen = new Generator(1);
        var tower = new ClipVisionTransformer(cfg, gen);
        var heads = new VisionDenseHeads(cfg.HiddenSize, gen);
        var opt = new AdamW(tower.Parameters().Concat(heads.Parameters()), lr: 5e-3f, weightDecay: 0f);
        var val = new SceneBench().Split(SceneSplit.Validation, 12).Select(e => e.Scene).ToArray();
        (Tensor Loss, DenseAccuracy Accuracy) Validate()
        {
            using var _ = Autograd.NoGrad();
            return heads.Loss(tower, tower.Forward(Pixels(val), layers: 2), 2, val);
        }
        var (before, accBefore) = Validate();
        for (int step = 0; step < 100; step++)
        {
            var scenes = Enumerable.Range(0, 8).Select(i => Scene.Generate(step * 8 + i)).ToArray();
            var (loss, _) = heads.Loss(tower, tower.Forward(Pixels(scenes), layers: 2), 2, scenes);
            opt.ZeroGrad();
            loss.Backward();
            opt.StepOnce();
        }
        var (after, acc) = Validate();
        // validation scenes were never trained on; colour is the first thing learned (≈0.1 → ≈0.5–0.8 by 100–200 steps)
        Assert.True(after.Item() < 0.7f * before.Item(), $"validation loss {before.Item():F3} → {after.Item():F3}");
        Assert.True(acc.Color > Math.Max(0.35, 2 * accBefore.Color), $"colour accuracy on object patches {accBefore.Color:F2} → {acc.Color:F2}");
    }

    [Fact]
    public void PositionHeadsTeachEachPatchItsRowAndColumn()
    {
        var cfg = new VisionConfig { ImageSize = 96, PatchSize = 8, HiddenSize = 32, IntermediateSize = 64, NumLayers = 2, NumHeads = 2, HiddenAct = Activation.QuickGelu };
        var gen = new Generator(4);
        var tower = new ClipVisionTransformer(cfg, gen);
        var heads = new VisionDenseHeads(cfg.HiddenSize, gen, gridSize: cfg.GridSize);
        Assert.Contains(heads.NamedParameters(), p => p.Name == "row.weight");
        Assert.DoesNotContain(new VisionDenseHeads(32, gen).NamedParameters(), p => p.Name.StartsWith("row"));
        var opt = new AdamW(tower.Parameters().Concat(heads.Parameters()), lr: 1e-2f, weightDecay: 0f);
        var val = new SceneBench().Split(SceneSplit.Validation, 4).Select(e => e.Scene).ToArray();
        double Position()
        {
            using var _ = Autograd.NoGrad();
            return heads.Loss(tower, tower.Forward(Pixels(val), layers: 1), 1, val).Accuracy.Position;
        }
        double before = Position();
        for (int step = 0; step < 120; step++)
        {
            var scenes = Enumerable.Range(0, 2).Select(i => Scene.Generate(step * 2 + i)).ToArray();
            var (loss, _) = heads.Loss(tower, tower.Forward(Pixels(scenes), layers: 1), 1, scenes);
            opt.ZeroGrad();
            loss.Backward();
            opt.StepOnce();
        }
        double after = Position();
        Assert.True(after > Math.Max(0.3, 3 * before), $"row/column accuracy {before:F2} → {after:F2} (chance 1/12; ≈0.47 after these 120 steps)");
    }

    [Fact]
    public void MismatchedLabelsAreRejected()
    {
        var cfg = new VisionConfig { ImageSize = 96, PatchSize = 8, HiddenSize = 16, IntermediateSize = 32, NumLayers = 1, NumHeads = 2 };
        var tower = new ClipVisionTransformer(cfg, new Generator(2));
        var heads = new VisionDenseHeads(16, new Generator(3));
        var scenes = new[] { Scene.Generate(1) };
        var output = tower.Forward(Pixels([scenes[0], scenes[0]]));
        Assert.Contains("1 scenes", Assert.Throws<ArgumentException>(() => heads.Loss(tower, output, 1, scenes)).Message);
    }
}
