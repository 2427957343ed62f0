namespace DiffPrune.Tensors.IO;

/// <summary>An output folder is held by another live run (see <see cref="RunFolderLock"/>); the message names its PID.</summary>
public sealed class RunFolderLockedException : IOException
{
    /// <summary>A refusal with its one-line explanation.</summary>
    public RunFolderLockedException(string message) : base(message) { }

    /// <summary>An empty refusal (serialisers need it).</summary>
    public RunFolderLockedException() { }

    /// <summary>A refusal with the failure that revealed it.</summary>
    public RunFolderLockedException(string message, Exception inner) : base(message, inner) { }
}
