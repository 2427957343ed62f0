namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// ScienceQA (image subset): multiple choice (2–4 options) that needs a fact of <see cref="SceneTextbook"/> and the
/// image. "Which object in the image can roll?" lists the one present object that can, present objects that cannot,
/// and at least one absent object that can (so knowledge alone does not answer it); the others ask a property of the
/// object at a region or of a digit.
/// </summary>
internal static class SqaWriter
{
    const string WhichRolls = "which object in the image can roll?";
    const string WhichWarm = "which object in the image has a warm color?";
    const string WhichHole = "which object in the image has a hole?";
    const string WarmOrCool = "is the color of the object at the {region} warm or cool?";
    const string EvenOrOdd = "is the number on the {object} even or odd?";
    const string CanRoll = "can the object at the {region} roll?";

    public static IReadOnlyList<string> Templates { get; } = [WhichRolls, WhichWarm, WhichHole, WarmOrCool, EvenOrOdd, CanRoll];

    public static void Write(QuestionContext q)
    {
        q.Run(q.Scene.Options.QuestionsPerSuite,
            (2, () => Which(q, WhichRolls, (c, s) => s.CanRoll())),
            (2, () => Which(q, WhichWarm, (c, s) => c.IsWarm())),
            (1, () => Which(q, WhichHole, (c, s) => s.HasHole())),
            (2, () =>
            {
                var o = q.PickObject();
                return q.Choice(Template.Fill(WarmOrCool, "region", o.Region.Word()), o.Color.IsWarm() ? "warm" : "cool", ["warm", "cool"], 2, QuestionSkill.Knowledge, [o.Index]);
            }
        ),
            (2, () =>
            {
                var withDigit = q.Objects.Where(o => o.Digit != null).ToArray();
                if (withDigit.Length == 0) return false;
                var o = q.Pick(withDigit);
                return q.Choice(Template.Fill(EvenOrOdd, "object", o.Name), o.Digit!.Value % 2 == 0 ? "even" : "odd", ["even", "odd"], 2, QuestionSkill.Knowledge, [o.Index]);
            }
        ),
            (2, () =>
            {
                var o = q.PickObject();
                return q.Choice(Template.Fill(CanRoll, "region", o.Region.Word()), o.Shape.CanRoll() ? "yes" : "no", ["yes", "no"], 2, QuestionSkill.Knowledge, [o.Index]);
            }
        ));
    }

    static bool Which(QuestionContext q, string question, Func<SceneColor, SceneShape, bool> has)
    {
        var holders = q.Objects.Where(o => has(o.Color, o.Shape)).ToArray();
        if (holders.Length != 1) return false;
        var absentHolders = q.Shuffle(q.AbsentKinds.Where(k => has(k.Color, k.Shape)).Select(QuestionContext.Name));
        var presentOthers = q.Objects.Where(o => !has(o.Color, o.Shape)).Select(o => o.Name);
        var pool = absentHolders.Take(1).Concat(q.Shuffle(presentOthers.Concat(absentHolders.Skip(1))));
        int options = 2 + q.Rng.NextInt(3);
        return q.Choice(question, holders[0].Name, pool, options, QuestionSkill.Knowledge, q.AllObjects, shufflePool: false);
    }
}
