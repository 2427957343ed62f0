namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// Relations between objects, read off their regions: A is left of B when A's region column is smaller (any row),
/// above when its row is smaller (any column). Objects never share a region, so the pixel boxes agree.
/// </summary>
internal enum SpatialRelation
{
    LeftOf,
    RightOf,
    Above,
    Below,
}

internal static class SpatialRelations
{
    public static IReadOnlyList<SpatialRelation> All { get; } = Enum.GetValues<SpatialRelation>();

    public static string Word(this SpatialRelation relation) => relation switch
    {
        SpatialRelation.LeftOf => "left of",
        SpatialRelation.RightOf => "right of",
        SpatialRelation.Above => "above",
        _ => "below",
    };

    /// <summary>Whether <paramref name="a"/> is <paramref name="relation"/> <paramref name="b"/>.</summary>
    public static bool Holds(this SpatialRelation relation, SceneObject a, SceneObject b) => relation switch
    {
        SpatialRelation.LeftOf => a.Region.Column() < b.Region.Column(),
        SpatialRelation.RightOf => a.Region.Column() > b.Region.Column(),
        SpatialRelation.Above => a.Region.Row() < b.Region.Row(),
        _ => a.Region.Row() > b.Region.Row(),
    };
}
