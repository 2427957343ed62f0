namespace DiffPrune.Training;

/// <summary>The one validation helper of every options record: a failed rule throws one line that names the record.</summary>
/// <param name="Owner">The record, as the user knows it (e.g. "pretrain options").</param>
public readonly record struct OptionRules(string Owner)
{
    /// <summary>Throws when <paramref name="ok"/> is false.</summary>
    /// <exception cref="ArgumentException">"{Owner}: {message}".</exception>
    public void Require(bool ok, string message)
    {
        if (!ok) throw new ArgumentException($"{Owner}: {message}");
    }
}
