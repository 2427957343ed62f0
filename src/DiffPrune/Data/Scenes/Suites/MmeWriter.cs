namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// MME: yes/no questions in pairs about one image, one answered yes and one no, over four perception subtasks
/// (existence, count, position, colour; <see cref="SceneQuestion.Skill"/>). Each scene gets
/// <see cref="SceneOptions.QuestionsPerSuite"/> pairs from distinct subtasks.
/// </summary>
internal static class MmeWriter
{
    const string Suffix = " please answer yes or no.";
    const string Existence = "is there {an_object} in this image?" + Suffix;
    const string Count = "are there {count} objects in this image?" + Suffix;
    const string CountOne = "is there 1 object in this image?" + Suffix;
    const string Position = "is the {object} at the {region}?" + Suffix;
    const string Color = "is the object at the {region} {color}?" + Suffix;

    public static IReadOnlyList<string> Templates { get; } = [Existence, Count, CountOne, Position, Color];

    public static void Write(QuestionContext q)
    {
        q.Run(Math.Min(q.Scene.Options.QuestionsPerSuite, 4),
            (1, () =>
            {
                var o = q.PickObject();
                var absent = q.Pick(q.AbsentKinds);
                return Pair(q, QuestionSkill.Existence, Template.Fill(Existence, "an_object", QuestionContext.WithArticle(o.Name)), Template.Fill(Existence, "an_object", QuestionContext.WithArticle(QuestionContext.Name(absent))), [o.Index], q.AllObjects);
            }
        ),
            (1, () =>
            {
                int wrong = q.Pick(q.WrongCounts(1, 5));
                return Pair(q, QuestionSkill.Count, CountQuestion(q.Count), CountQuestion(wrong), q.AllObjects, q.AllObjects);
            }
        ),
            (1, () =>
            {
                var o = q.PickObject();
                var other = q.Pick(SceneAttributes.Regions.Where(r => r != o.Region).ToArray());
                return Pair(q, QuestionSkill.Position, Template.Fill(Position, "object", o.Name, "region", o.Region.Word()), Template.Fill(Position, "object", o.Name, "region", other.Word()), [o.Index], [o.Index]);
            }
        ),
            (1, () =>
            {
                var o = q.PickObject();
                var other = q.Pick(SceneAttributes.Colors.Where(c => c != o.Color).ToArray());
                return Pair(q, QuestionSkill.Color, Template.Fill(Color, "region", o.Region.Word(), "color", o.Color.Word()), Template.Fill(Color, "region", o.Region.Word(), "color", other.Word()), [o.Index], [o.Index]);
            }
        ));
    }

    static string CountQuestion(int count) => count == 1 ? CountOne : Template.Fill(Count, "count", count.ToString());

    static bool Pair(QuestionContext q, QuestionSkill skill, string yes, string no, int[] yesEvidence, int[] noEvidence)
    {
        if (q.Asked(yes) || q.Asked(no)) return false;
        int group = q.NewGroup();
        return q.Open(yes, "yes", skill, yesEvidence, group) && q.Open(no, "no", skill, noEvidence, group);
    }
}
