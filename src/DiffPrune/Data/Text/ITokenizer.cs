namespace DiffPrune.Data.Text;

/// <summary>Text ⇄ token ids.</summary>
public interface ITokenizer
{
    /// <summary>Number of tokens.</summary>
    int VocabSize { get; }
    /// <summary>Beginning-of-sequence id.</summary>
    int BosId { get; }
    /// <summary>End-of-sequence id.</summary>
    int EosId { get; }
    /// <summary>Encodes text, optionally with BOS first and EOS last.</summary>
    int[] Encode(string text, bool bos = true, bool eos = false);
    /// <summary>Decodes ids back to text (special tokens dropped).</summary>
    string Decode(IEnumerable<int> ids);
}
