namespace DiffPrune.Tensors;

/// <summary>
/// A computation met a NaN or infinity where it needs finite numbers (e.g. Soft Top-K's logits), so it stops rather than
/// return a silent NaN. Within a training step it marks the step as non-finite: the guarded optimizer skips it like a NaN loss.
/// </summary>
public sealed class NonFiniteValueException : ArgumentException
{
    /// <summary>A refusal naming the value at fault and the argument that held it.</summary>
    public NonFiniteValueException(string message, string? paramName) : base(message, paramName) { }

    /// <summary>A refusal naming the value at fault.</summary>
    public NonFiniteValueException(string message) : base(message) { }

    /// <summary>A refusal with the failure that revealed it.</summary>
    public NonFiniteValueException(string message, Exception inner) : base(message, inner) { }

    /// <summary>An empty refusal (serialisers need it).</summary>
    public NonFiniteValueException() { }
}
