namespace DiffPrune.Data.Images;

/// <summary>
/// Which PNG row filter (PNG specification §9) the encoder applies. A filter predicts each byte from its left,
/// upper and upper-left neighbours and stores the difference, which deflate then compresses better.
/// </summary>
public enum PngFilterStrategy
{
    /// <summary>Per row, the filter whose output has the smallest sum of absolute values (as signed bytes): libpng's default heuristic.</summary>
    Adaptive = -1,

    /// <summary>Filter type 0: bytes stored as they are.</summary>
    None = 0,

    /// <summary>Filter type 1: difference from the byte one pixel to the left.</summary>
    Sub = 1,

    /// <summary>Filter type 2: difference from the byte above.</summary>
    Up = 2,

    /// <summary>Filter type 3: difference from the floor of the mean of left and above.</summary>
    Average = 3,

    /// <summary>Filter type 4: difference from the Paeth predictor (left, above or upper-left, whichever is nearest to left + above − upper-left).</summary>
    Paeth = 4,
}
