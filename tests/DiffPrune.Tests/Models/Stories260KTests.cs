using DiffPrune.Data.Text;
using DiffPrune.Models.Llama;
using DiffPrune.Models.Loaders;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Models;

/// <summary>Real pretrained weights nobody here trained: the llama2.c stories260K model and its golden greedy text.</summary>
public class Stories260KTests
{
    const string Dir = "models/stories260K";
    const string Golden = "Zoo was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but she didn't want to play with";

    static (LlamaForCausalLM, Llama2cTokenizer) Load()
    {
        var lm = Llama2cCheckpoint.Load(SharedData.PathOf(Dir + "/stories260K.bin"));
        var tok = Llama2cTokenizer.Load(SharedData.PathOf(Dir + "/tok512.bin"), lm.Config.VocabSize);
        return (lm, tok);
    }

    [SharedDataFact(Dir)]
    public void TokenizerEncodesZooAndRoundTrips()
    {
        var (_, tok) = Load();
        Assert.Equal([1, 410, 469, 347], tok.Encode("Zoo"));
        const string text = "Once upon a time, a little dog named Max found a shiny stone.\nIt was 42% blue!";
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [SharedDataFact(Dir)]
    public void GreedyFromZooReproducesTheGoldenTextWithAndWithoutCache()
    {
        var (lm, tok) = Load();
        Assert.Equal(64, lm.Config.HiddenSize);
        var ids = tok.Encode("Zoo");
        foreach (bool cache in new[] { true, false })
        {
            // llama2.c's 60 steps count every position from BOS: 60 − 4 prompt ids + 1 = 57 new tokens are printed.
            var output = Generation.Generate(lm, Prompt(lm, ids), 60 - ids.Length + 1, SamplingOptions.Greedy, useCache: cache)[0];
            var text = tok.Decode(ids.Concat(output));
            Assert.Equal(Golden, text);
        }
    }

    internal static DecoderInput Prompt(LlamaForCausalLM lm, int[] ids) =>
        new(lm.Embed(new IntTensor(ids, 1, ids.Length)), Enumerable.Range(0, ids.Length).ToArray());
}
