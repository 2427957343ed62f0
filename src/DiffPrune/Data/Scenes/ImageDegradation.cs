namespace DiffPrune.Data.Scenes;

/// <summary>How a VizWiz item's image was degraded (a photometric degradation, optionally with an occlusion).</summary>
[Flags]
public enum ImageDegradation
{
    /// <summary>The clean image.</summary>
    None = 0,
    /// <summary>3×3 box blur (glyphs become unreadable, so no answerable digit question is asked).</summary>
    Blur = 1,
    /// <summary>Uniform per-channel noise of ±24 grey levels.</summary>
    Noise = 2,
    /// <summary>Contrast reduced to 2/5 around mid grey.</summary>
    LowContrast = 4,
    /// <summary>One object's box painted over with the background: the object is destroyed.</summary>
    Occlusion = 8,
}
