namespace DiffPrune.Tensors;

/// <summary>
/// A request that is well-formed but would need more than the limits allow: more memory than the machine has, an image
/// above the pixel cap, a prompt longer than the model's positions, more scenes than a run may hold. Thrown before the
/// memory is committed; the message names the file or option, the size asked for, the limit, and what to do.
/// </summary>
public sealed class ResourceLimitException : Exception
{
    /// <summary>A refusal with its one-line explanation.</summary>
    public ResourceLimitException(string message) : base(message) { }

    /// <summary>A refusal with its one-line explanation and the failure that revealed it.</summary>
    public ResourceLimitException(string message, Exception inner) : base(message, inner) { }

    /// <summary>An empty refusal (serialisers need it).</summary>
    public ResourceLimitException() { }
}
