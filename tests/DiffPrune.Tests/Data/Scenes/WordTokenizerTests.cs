using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Tests.Data;

namespace DiffPrune.Tests.Data.Scenes;

public class WordTokenizerTests
{
    static readonly WordTokenizer Tokenizer = WordTokenizer.ForSceneBench();

    [Fact]
    public void EveryTextTheGeneratorEmitsEncodesWithoutUnknownsAndDecodesBack()
    {
        var texts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in new SceneBench().Split(SceneSplit.Train, 2000))
        {
            texts.Add(e.Caption);
            foreach (var item in e.Items)
            {
                texts.Add(item.Prompt);
                texts.Add(item.Answer);
                foreach (var option in item.Options) texts.Add(option);
            }
        }
        foreach (var fact in SceneTextbook.Facts) texts.Add(fact);
        foreach (var text in texts)
        {
            var ids = Tokenizer.Encode(text, bos: true, eos: true);
            Assert.True(!ids.Contains(WordTokenizer.UnkId), $"'{text}' has unknown words: {string.Join(" ", WordTokenizer.Split(text).Where(t => !Tokenizer.Contains(t)))}");
            Assert.Equal(Tokenizer.BosId, ids[0]);
            Assert.Equal(Tokenizer.EosId, ids[^1]);
            Assert.Equal(text, Tokenizer.Decode(ids));               // generated text is already in canonical form
        }
        Assert.True(texts.Count > 10_000);
    }

    [Fact]
    public void SpecialTokensLettersAndDigitsHaveFixedIds()
    {
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<image>", "<unk>", "A", "B", "C", "D", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], Tokenizer.Tokens.Take(19));
        Assert.Equal(3, new DiffPrune.Models.Vlm.LlavaConfig().ImageTokenId);
        Assert.Equal(WordTokenizer.ImageId, Tokenizer.IdOf("<image>"));
        Assert.Equal([1, WordTokenizer.ImageId, Tokenizer.IdOf("where"), Tokenizer.IdOf("is"), Tokenizer.IdOf("it"), Tokenizer.IdOf("?")], Tokenizer.Encode("<image> Where is IT?"));
        Assert.Equal(WordTokenizer.UnkId, Tokenizer.IdOf("it"));
        Assert.InRange(Tokenizer.VocabSize, 100, 200);
    }

    [Fact]
    public void SplitsPunctuationAndDigitsAndKeepsOptionLetters()
    {
        Assert.Equal(["what", "is", "it", "?", "A", ".", "red", "(", "B", ")", "1", "2", ",", "a"], WordTokenizer.Split("What is it? A. red (B) 12, a"));
        Assert.Equal("what? A. red (B) 1 2, a", WordTokenizer.Normalize("What ?  A . red ( B ) 12 ,a"));
        Assert.Equal("", Tokenizer.Decode([0, 1, 2, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([Tokenizer.VocabSize]));
    }

    [Fact]
    public void SaveAndLoadKeepTheIds()
    {
        using var dir = new TempDirectory();
        var path = dir.File("vocab.txt");
        Tokenizer.Save(path);
        var loaded = WordTokenizer.Load(path);
        Assert.Equal(Tokenizer.Tokens, loaded.Tokens);
        File.WriteAllLines(path, ["<pad>", "<bos>", "<image>"]);
        var e = Assert.Throws<InvalidDataException>(() => WordTokenizer.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("token 2 must be <eos>", e.Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => WordTokenizer.FromTokens([.. WordTokenizer.SpecialTokens, "red", "red"])).Message);
    }
}
