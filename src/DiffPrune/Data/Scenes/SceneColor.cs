namespace DiffPrune.Data.Scenes;

/// <summary>
/// The saturated colours objects are painted in (see <see cref="SceneAttributes.Rgb(SceneColor)"/>). Every one has a
/// channel spread (max − min) of at least 140, backgrounds at most 48, so an object pixel is never a background pixel.
/// </summary>
public enum SceneColor
{
    /// <summary>red (230, 25, 25); warm.</summary>
    Red,
    /// <summary>orange (255, 140, 0); warm.</summary>
    Orange,
    /// <summary>yellow (250, 220, 20); warm.</summary>
    Yellow,
    /// <summary>green (30, 170, 40); cool.</summary>
    Green,
    /// <summary>cyan (0, 210, 230); cool.</summary>
    Cyan,
    /// <summary>blue (30, 60, 235); cool.</summary>
    Blue,
    /// <summary>purple (160, 40, 210); cool.</summary>
    Purple,
}
