namespace DiffPrune.Data.Scenes;

/// <summary>Object shapes, chosen to stay distinguishable at 8 px (one patch): see <see cref="ShapeMask"/>.</summary>
public enum SceneShape
{
    /// <summary>A filled disc.</summary>
    Circle,
    /// <summary>A filled square with a margin of 1/8 of the side.</summary>
    Square,
    /// <summary>An upward triangle, apex at the top, base the full width.</summary>
    Triangle,
    /// <summary>A square turned 45°, corners touching the box.</summary>
    Diamond,
    /// <summary>A plus sign with arms 1/4 of the side wide.</summary>
    Cross,
    /// <summary>A disc with a hole of half its radius.</summary>
    Ring,
}
