using DiffPrune.Tensors;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// Independent random streams of one scene seed: the image has its own stream and each suite its own, so adding a
/// template to one suite changes neither the pixels nor the other suites' items.
/// </summary>
internal static class SceneSeeds
{
    /// <summary>Stream of the image (background, objects, placement).</summary>
    public const ulong ImageStream = 0x5CE7E;

    /// <summary>Stream of the background's clutter marks (none are drawn in the classic configuration).</summary>
    public const ulong ClutterStream = 0xC1077E4;

    /// <summary>Stream of a variable-size scene's width and height (<see cref="SceneOptions.VariableSides"/>).</summary>
    public const ulong SizeStream = 0x5175;

    /// <summary>Stream of a suite's items.</summary>
    public static ulong SuiteStream(SceneSuite suite) => 0x5017E_000UL + (ulong)suite;

    /// <summary>A generator for stream <paramref name="stream"/> of scene <paramref name="seed"/> (SplitMix64 of both).</summary>
    public static Generator For(long seed, ulong stream)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + stream * 0xD1B54A32D192ED03UL + 0x632BE59BD9B4E019UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return new Generator(z ^ (z >> 31));
    }
}
