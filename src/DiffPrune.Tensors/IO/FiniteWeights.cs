using System.Numerics.Tensors;

namespace DiffPrune.Tensors.IO;

/// <summary>
/// Refuses weights that hold NaN or ±∞: such a model still runs and prints results, every one of them meaningless, so
/// a loader checks each tensor as it reads it.
/// </summary>
public static class FiniteWeights
{
    /// <summary>Throws when <paramref name="values"/> holds a non-finite number.</summary>
    /// <param name="values">The tensor's elements.</param>
    /// <param name="source">The file or folder read (named in the message).</param>
    /// <param name="tensor">The tensor's name.</param>
    /// <exception cref="InvalidDataException">A NaN or infinity; the message names the tensor, the element and its value.</exception>
    public static void Check(ReadOnlySpan<float> values, string source, string tensor)
    {
        // MaxMagnitude propagates NaN and returns ∞ when any element is infinite: one vectorised pass in the common case
        if (values.IsEmpty || float.IsFinite(TensorPrimitives.MaxMagnitude(values))) return;
        int at = 0;
        while (float.IsFinite(values[at])) at++;
        throw new InvalidDataException($"{source}: tensor '{tensor}' holds {values[at].ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {at} of {values.Length}: the weights are corrupt (re-export or retrain them)");
    }
}
