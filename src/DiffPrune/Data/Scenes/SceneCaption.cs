namespace DiffPrune.Data.Scenes;

/// <summary>
/// The caption of a scene (DiffPrune's training signal): one short sentence per object, in reading order, naming its
/// size, colour, shape, digit and region: "a large red circle with a 7 at the top left. a small blue square at the center."
/// </summary>
public static class SceneCaption
{
    /// <summary>The template of one object's sentence; <c>{digit}</c> is " with a D" (" with an 8") or empty.</summary>
    public const string Template = "a {size} {color} {shape} with an {digit} at the {region}.";

    /// <summary>The caption of <paramref name="objects"/> (in the order given).</summary>
    public static string Write(IEnumerable<SceneObject> objects) => string.Join(" ", objects.Select(Sentence));

    /// <summary>"an" before a label read with a vowel first (8, 11, 18, 80–89: "eight", "eleven", "eighty-…"), else "a".</summary>
    public static string Article(int label) => label is 8 or 11 or 18 or (>= 80 and <= 89) ? "an" : "a";

    /// <summary>One object's sentence.</summary>
    public static string Sentence(SceneObject o) =>
        $"a {o.Size.Word()} {o.Color.Word()} {o.Shape.Word()}{(o.Digit is int d ? $" with {Article(d)} {o.LabelText}" : "")} at the {o.Region.Word()}.";
}
