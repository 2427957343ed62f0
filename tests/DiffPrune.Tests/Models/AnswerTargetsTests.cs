using DiffPrune.Models.Llama;
using DiffPrune.Models.Vlm;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Tests.Models;

public class AnswerTargetsTests
{
    const int I = AnswerTargets.Ignore;

    [Fact]
    public void TargetsSitOneBeforeEachAnswerTokenInTheLeftPaddedLayout()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(1));
        using var _ = Autograd.NoGrad();
        // sample 0: question "5" then answer "6 7"; sample 1: a caption "8 9" straight after the image
        int[][] text = [[1, 3, 5, 6, 7], [1, 3, 8, 9]];
        var tokens = vlm.EncodeImages(TinyModels.Pixels(2, 1));
        var input = vlm.BuildInput(vlm.Projector.Forward(tokens.Features), tokens.PatchIndex, text);
        var targets = AnswerTargets.Build(input, text, [3, 2]);
        // sample 0 (20 positions): bos, 16 visual (1..16), 5 at 17, 6 at 18, 7 at 19
        var expected0 = Enumerable.Repeat(I, 20).ToArray();
        expected0[17] = 6;
        expected0[18] = 7;
        // sample 1 (19 tokens, left-padded by one): pad, bos, visual 2..17, 8 at 18, 9 at 19 → the last visual token predicts 8
        var expected1 = Enumerable.Repeat(I, 20).ToArray();
        expected1[17] = 8;
        expected1[18] = 9;
        Assert.Equal(expected0.Concat(expected1), targets);
    }

    [Fact]
    public void ATinyVlmLearnsToAnswerThroughTheImageSplice()
    {
        var vlm = new LlavaModel(TinyModels.Llava(), new Generator(2));
        vlm.VisionTower.RequiresGrad(false);
        var pixels = TinyModels.Pixels(2, 3);
        int[][] text = [[1, 3, 5, 20, 21, 2], [1, 3, 5, 30, 31, 2]]; // same question, different images, different answers
        int[] answerStart = [3, 3];
        var opt = new AdamW(vlm.TrainableParameters(), lr: 1e-2f, weightDecay: 0f);
        float first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            var input = new VlmInference(vlm).Prepare(pixels, text);
            var logits = vlm.LanguageModel.Forward(input).Logits;
            var loss = F.CrossEntropy(logits.Reshape(-1, logits.Shape[^1]), AnswerTargets.Build(input, text, answerStart));
            if (step == 0) first = loss.Item();
            last = loss.Item();
            opt.ZeroGrad();
            loss.Backward();
            opt.StepOnce();
        }
        Assert.True(last < 0.05f * first, $"answer loss went from {first:F3} to {last:F3}");
        // the answers now come out of greedy decoding, and which one depends on the image
        for (int i = 0; i < 2; i++)
        {
            var prompt = new VlmInference(vlm).Prepare(pixels.Slice(0, i, i + 1), [text[i][..3]]);
            Assert.Equal(text[i][3..], Generation.Generate(vlm.LanguageModel, prompt, 3, SamplingOptions.Greedy, eosId: 2)[0]);
        }
    }
}
