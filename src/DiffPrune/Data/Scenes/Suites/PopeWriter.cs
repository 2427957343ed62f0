namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// POPE: "is there a red circle in the image?" For each split (random, popular, adversarial) every scene gets one
/// question about an object it holds (yes) and one about a kind it lacks (no), sampled as the split says
/// (<see cref="PopeSplit"/>). Each split draws its positive from the image's objects; only the negatives' sampling differs.
/// </summary>
internal static class PopeWriter
{
    const string Presence = "is there {an_object} in the image?";

    /// <summary>How many of the most frequent absent kinds a popular negative is drawn from.</summary>
    public const int PopularPool = 3;

    public static IReadOnlyList<string> Templates { get; } = [Presence];

    public static void Write(QuestionContext q)
    {
        foreach (var split in Enum.GetValues<PopeSplit>())
        {
            var present = q.PickObject();
            var absent = split switch
            {
                PopeSplit.Random => q.Pick(q.AbsentKinds),
                PopeSplit.Popular => q.Pick(q.AbsentKinds.OrderByDescending(k => SceneAttributes.Prior(k.Color, k.Shape)).ThenBy(k => SceneAttributes.KindIndex(k.Color, k.Shape)).Take(PopularPool).ToArray()),
                _ => q.Pick(q.AbsentKinds.Where(k => q.Objects.Any(o => o.Color == k.Color || o.Shape == k.Shape)).ToArray()),
            };
            Add(q, split, present.Name, "yes", [present.Index]);
            Add(q, split, QuestionContext.Name(absent), "no", q.AllObjects);
        }
    }

    static void Add(QuestionContext q, PopeSplit split, string name, string answer, int[] evidence) =>
        q.Add(new SceneQuestion
        {
            Suite = SceneSuite.Pope,
            SceneSeed = q.Scene.Seed,
            Question = Template.Fill(Presence, "an_object", QuestionContext.WithArticle(name)),
            Answer = answer,
            Skill = QuestionSkill.Existence,
            PopeSplit = split,
            Evidence = evidence,
        });
}
