namespace DiffPrune.Data.Scenes;

/// <summary>
/// The world knowledge that <see cref="SceneSuite.Sqa"/> questions need besides the image, stated as short sentences
/// (a "textbook" a base VLM can be trained on). It agrees with <see cref="SceneAttributes.IsWarm"/>,
/// <see cref="SceneAttributes.CanRoll"/>, <see cref="SceneAttributes.HasHole"/> and digit parity.
/// </summary>
public static class SceneTextbook
{
    /// <summary>The facts, one sentence each.</summary>
    public static IReadOnlyList<string> Facts { get; } =
    [
        "red, orange and yellow are warm colors.",
        "green, cyan, blue and purple are cool colors.",
        "circles and rings are round, so they can roll.",
        "squares, triangles, diamonds and crosses have corners, so they cannot roll.",
        "a ring has a hole in the middle.",
        "circles, squares, triangles, diamonds and crosses have no hole.",
        "0, 2, 4, 6 and 8 are even numbers.",
        "1, 3, 5, 7 and 9 are odd numbers.",
    ];
}
