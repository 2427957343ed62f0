using DiffPrune.Models.Vision;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Models;

/// <summary>
/// Without autograd the vision towers hand each block's intermediates back to the pool as soon as the block is done. What
/// they return must not be among them: encoded inside a scope and read after more work in that scope has reused the pool's
/// buffers, the outputs equal those of an encoding with autograd on (which pools nothing per block), bit for bit.
/// </summary>
public class PooledVisionTowerTests
{
    [Fact]
    public void ClipTowerOutputsSurviveTheBlockScopesThatPoolItsIntermediates()
    {
        var cfg = TinyModels.Llava().Vision;
        var tower = new ClipVisionTransformer(cfg, new Generator(1));
        var pixels = TinyModels.Pixels(2, seed: 2);
        var reference = tower.Forward(pixels, outputAttentions: true);
        using var scope = TensorScope.Begin();
        using var _ = Autograd.NoGrad();
        var pooled = tower.Forward(pixels, outputAttentions: true);
        tower.Forward(TinyModels.Pixels(2, seed: 3), outputAttentions: true); // rents the buffers the first encoding gave back
        Assert.Equal(reference.HiddenStates.Count, pooled.HiddenStates.Count);
        for (int l = 0; l < reference.HiddenStates.Count; l++) Assert.Equal(reference.HiddenStates[l].ToArray(), pooled.HiddenStates[l].ToArray());
        for (int l = 0; l < reference.Attentions!.Count; l++) Assert.Equal(reference.Attentions[l].ToArray(), pooled.Attentions![l].ToArray());
    }

    [Fact]
    public void QwenTowerOutputSurvivesTheBlockScopesThatPoolItsIntermediates()
    {
        var cfg = new Qwen25VisionConfig
        {
            Depth = 3, HiddenSize = 16, NumHeads = 2, IntermediateSize = 24, InChannels = 3, OutHiddenSize = 8,
            PatchSize = 2, SpatialMergeSize = 2, TemporalPatchSize = 2, WindowSize = 8, FullAttentionBlocks = [1],
        };
        var model = new Qwen25VisionModel(cfg, new Generator(4));
        var pixels = Tensor.Randn(new Generator(5), [3, 12, 8]);
        var reference = model.EncodeHidden(pixels).Hidden;
        using var scope = TensorScope.Begin();
        using var _ = Autograd.NoGrad();
        var pooled = model.EncodeHidden(pixels).Hidden;
        model.EncodeHidden(Tensor.Randn(new Generator(6), [3, 12, 8]));
        Assert.Equal(reference.ToArray(), pooled.ToArray());
    }
}
