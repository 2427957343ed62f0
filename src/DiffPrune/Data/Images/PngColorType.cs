namespace DiffPrune.Data.Images;

/// <summary>The colour type byte of a PNG header (PNG specification §11.2.2); the value is the byte itself.</summary>
public enum PngColorType : byte
{
    /// <summary>One gray sample per pixel (bit depth 1, 2, 4, 8 or 16); a tRNS chunk may name one transparent gray.</summary>
    Gray = 0,

    /// <summary>Red, green, blue (bit depth 8 or 16); a tRNS chunk may name one transparent colour.</summary>
    Rgb = 2,

    /// <summary>One palette index per pixel (bit depth 1, 2, 4 or 8) into PLTE; tRNS gives per-entry alpha.</summary>
    Palette = 3,

    /// <summary>Gray and alpha (bit depth 8 or 16).</summary>
    GrayAlpha = 4,

    /// <summary>Red, green, blue and alpha (bit depth 8 or 16).</summary>
    Rgba = 6,
}
