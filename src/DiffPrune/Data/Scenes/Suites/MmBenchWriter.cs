namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// MMBench and MMBench-CN: 4-option multiple choice over colour, shape, position, count and digit. MMBench-CN asks the
/// same skills with paraphrased templates and "(A) x" options instead of "A. x": the wording shift the real pair has
/// between English and Chinese. With <see cref="SceneOptions.CircularMultipleChoice"/> every item comes in four
/// rotations (MMBench's circular evaluation).
/// </summary>
internal static class MmBenchWriter
{
    // the five skills in one order: colour at region, shape at region, position of object, count, digit on object
    static readonly string[] English =
    [
        "what color is the object at the {region}?",
        "what shape is the object at the {region}?",
        "where is the {object}?",
        "how many objects are in the image?",
        "which digit is on the {object}?",
    ];

    static readonly string[] Paraphrased =
    [
        "the item in the {region} area has which color?",
        "tell me the form of the item in the {region} area.",
        "in which part of the picture can the {object} be found?",
        "count the items in the picture. what is the total?",
        "the {object} is marked with which number?",
    ];

    public static IReadOnlyList<string> Templates { get; } = [.. English, .. Paraphrased];


    public static void Write(QuestionContext q, bool paraphrased)
    {
        var t = paraphrased ? Paraphrased : English;
        var style = paraphrased ? OptionStyle.Parenthesized : OptionStyle.Dotted;
        bool circular = q.Scene.Options.CircularMultipleChoice;
        var colors = SceneAttributes.Colors.Select(c => c.Word()).ToArray();
        var shapes = SceneAttributes.Shapes.Select(s => s.Word()).ToArray();
        var regions = SceneAttributes.Regions.Select(r => r.Word()).ToArray();
        q.Run(q.Scene.Options.QuestionsPerSuite,
            (2, () => { var o = q.PickObject(); return q.Choice(Template.Fill(t[0], "region", o.Region.Word()), o.Color.Word(), colors, 4, QuestionSkill.Color, [o.Index], style, circular); }
        ),
            (2, () => { var o = q.PickObject(); return q.Choice(Template.Fill(t[1], "region", o.Region.Word()), o.Shape.Word(), shapes, 4, QuestionSkill.Shape, [o.Index], style, circular); }
        ),
            (2, () => { var o = q.PickObject(); return q.Choice(Template.Fill(t[2], "object", o.Name), o.Region.Word(), regions, 4, QuestionSkill.Position, [o.Index], style, circular); }
        ),
            (1, () => q.Choice(t[3], q.Count.ToString(), q.WrongCounts(0, 6).Select(n => n.ToString()), 4, QuestionSkill.Count, q.AllObjects, style, circular)),
            (2, () =>
            {
                var withDigit = q.Objects.Where(o => o.Digit != null).ToArray();
                if (withDigit.Length == 0) return false;
                var o = q.Pick(withDigit);
                return q.Choice(Template.Fill(t[4], "object", o.Name), o.LabelText, QuestionContext.WrongLabels(o), 4, QuestionSkill.Digit, [o.Index], style, circular);
            }
        ));
    }
}
