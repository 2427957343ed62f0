namespace DiffPrune.Data.Scenes;

/// <summary>
/// The 3×3 regions that positions are described with, in reading order (index = row · 3 + column). Each object lies
/// wholly inside one region and no region holds two objects, so "the object at the top left" is always well defined.
/// </summary>
public enum SceneRegion
{
    /// <summary>"top left".</summary>
    TopLeft,
    /// <summary>"top".</summary>
    Top,
    /// <summary>"top right".</summary>
    TopRight,
    /// <summary>"left".</summary>
    Left,
    /// <summary>"center".</summary>
    Center,
    /// <summary>"right".</summary>
    Right,
    /// <summary>"bottom left".</summary>
    BottomLeft,
    /// <summary>"bottom".</summary>
    Bottom,
    /// <summary>"bottom right".</summary>
    BottomRight,
}
