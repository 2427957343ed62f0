namespace DiffPrune.Tensors;

/// <summary>
/// An environment variable that configures the engine (<c>DIFFPRUNE_THREADS</c>, <c>DIFFPRUNE_BLAS</c>) holds a value it cannot
/// use: the user's setting, not a bug. The message names the variable, its value and the values it accepts.
/// </summary>
public sealed class EnvironmentSettingException : Exception
{
    /// <summary>A refusal with its one-line explanation.</summary>
    public EnvironmentSettingException(string message) : base(message) { }

    /// <summary>A refusal with its one-line explanation and the failure that revealed it.</summary>
    public EnvironmentSettingException(string message, Exception inner) : base(message, inner) { }

    /// <summary>An empty refusal (serialisers need it).</summary>
    public EnvironmentSettingException() { }
}
