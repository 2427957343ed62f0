namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// VQAv2: open questions with one- or two-word answers (colour, shape, region, size, count, yes/no), exact match after
/// VQA normalisation. Count templates carry half the weight of the others: they need every object.
/// </summary>
internal static class VqaV2Writer
{
    const string ColorAt = "what color is the object at the {region}?";
    const string ShapeAt = "what shape is the object at the {region}?";
    const string Where = "where is the {object}?";
    const string SizeOf = "what size is the {object}?";
    const string ColorOfShape = "what color is the {shape}?";
    const string HowMany = "how many objects are there?";
    const string HowManyColor = "how many {color} objects are there?";
    const string IsThere = "is there {an_object}?";

    public static IReadOnlyList<string> Templates { get; } = [ColorAt, ShapeAt, Where, SizeOf, ColorOfShape, HowMany, HowManyColor, IsThere];

    public static void Write(QuestionContext q)
    {
        q.Run(q.Scene.Options.QuestionsPerSuite,
            (2, () => { var o = q.PickObject(); return q.Open(Template.Fill(ColorAt, "region", o.Region.Word()), o.Color.Word(), QuestionSkill.Color, [o.Index]); }
        ),
            (2, () => { var o = q.PickObject(); return q.Open(Template.Fill(ShapeAt, "region", o.Region.Word()), o.Shape.Word(), QuestionSkill.Shape, [o.Index]); }
        ),
            (2, () => { var o = q.PickObject(); return q.Open(Template.Fill(Where, "object", o.Name), o.Region.Word(), QuestionSkill.Position, [o.Index]); }
        ),
            (2, () => { var o = q.PickObject(); return q.Open(Template.Fill(SizeOf, "object", o.Name), o.Size.Word(), QuestionSkill.Size, [o.Index]); }
        ),
            (2, () =>
            {
                var unique = q.Objects.Where(o => q.Objects.Count(p => p.Shape == o.Shape) == 1).ToArray();
                if (unique.Length == 0) return false;
                var o = q.Pick(unique);
                return q.Open(Template.Fill(ColorOfShape, "shape", o.Shape.Word()), o.Color.Word(), QuestionSkill.Color, [o.Index]);
            }
        ),
            (1, () => q.Open(HowMany, q.Count.ToString(), QuestionSkill.Count, q.AllObjects)),
            (1, () =>
            {
                // half the time a colour in the image, else any colour (answers 0..5)
                var color = q.Coin() ? q.PickObject().Color : q.Pick(SceneAttributes.Colors);
                var matching = q.Objects.Where(o => o.Color == color).Select(o => o.Index).ToArray();
                return q.Open(Template.Fill(HowManyColor, "color", color.Word()), matching.Length.ToString(), QuestionSkill.Count, q.AllObjects);
            }
        ),
            (1, () =>
            {
                bool yes = q.Coin();
                var name = yes ? q.PickObject().Name : QuestionContext.Name(q.Pick(q.AbsentKinds));
                return q.Open(Template.Fill(IsThere, "an_object", QuestionContext.WithArticle(name)), yes ? "yes" : "no", QuestionSkill.Existence, yes ? [q.Scene.Objects.First(o => o.Name == name).Index] : q.AllObjects);
            }
        ));
    }
}
