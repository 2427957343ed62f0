namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// TextVQA: read the digit on an object, named by colour and shape or by region; the answer is the digit. Each glyph
/// lies inside one patch, so the answer depends on that one token. Scenes without a digit get no items (none, with
/// <see cref="SceneOptions.EnsureDigit"/>).
/// </summary>
internal static class TextVqaWriter
{
    const string DigitOn = "what digit is on the {object}?";
    const string NumberAt = "what number is written on the object at the {region}?";
    const string ReadAt = "read the number on the {size} {shape}.";

    public static IReadOnlyList<string> Templates { get; } = [DigitOn, NumberAt, ReadAt];

    public static void Write(QuestionContext q)
    {
        var withDigit = q.Objects.Where(o => o.Digit != null).ToArray();
        if (withDigit.Length == 0) return;
        q.Run(q.Scene.Options.QuestionsPerSuite,
            (2, () => { var o = q.Pick(withDigit); return q.Open(Template.Fill(DigitOn, "object", o.Name), o.LabelText, QuestionSkill.Digit, [o.Index]); }
        ),
            (2, () => { var o = q.Pick(withDigit); return q.Open(Template.Fill(NumberAt, "region", o.Region.Word()), o.LabelText, QuestionSkill.Digit, [o.Index]); }
        ),
            (1, () =>
            {
                // only when size and shape single the object out
                var unique = withDigit.Where(o => q.Objects.Count(p => p.Shape == o.Shape && p.Size == o.Size) == 1).ToArray();
                if (unique.Length == 0) return false;
                var o = q.Pick(unique);
                return q.Open(Template.Fill(ReadAt, "size", o.Size.Word(), "shape", o.Shape.Word()), o.LabelText, QuestionSkill.Digit, [o.Index]);
            }
        ));
    }
}
