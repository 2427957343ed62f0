namespace DiffPrune.Data.Scenes;

/// <summary>How a scene's background is painted: always in two muted tones (channel spread ≤ 48, channels in 40..230).</summary>
public enum BackgroundKind
{
    /// <summary>One flat tone.</summary>
    Solid,
    /// <summary>A linear ramp between two tones (horizontal, vertical or diagonal).</summary>
    Gradient,
    /// <summary>Alternating bands of two tones (period 4–12 px; horizontal, vertical or diagonal).</summary>
    Stripes,
    /// <summary>A checkerboard of two tones (cells of 4–16 px).</summary>
    Checker,
    /// <summary>One tone plus per-pixel grey noise of amplitude 8–20.</summary>
    Noise,
}
