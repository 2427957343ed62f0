namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// VizWiz: every scene's items share one degraded image (<see cref="SceneQuestion.Image"/>): blur, noise, low contrast
/// or none, and in half the scenes one object painted over with the background. About a third of the items (real
/// VizWiz: about a quarter) are unanswerable: they ask about the destroyed object, an empty region or a kind that is
/// not in the image, and the answer is "unanswerable". Answerable digit questions are not asked on blurred images (the glyphs do not survive).
/// </summary>
internal static class VizWizWriter
{
    public const string Unanswerable = "unanswerable";
    const string ColorAt = "what color is the object at the {region}?";
    const string Where = "where is the {object}?";
    const string DigitOn = "what digit is on the {object}?";

    public static IReadOnlyList<string> Templates { get; } = [ColorAt, Where, DigitOn, Unanswerable];

    static readonly ImageDegradation[] Photometric = [ImageDegradation.None, ImageDegradation.Blur, ImageDegradation.Noise, ImageDegradation.LowContrast];

    public static void Write(QuestionContext q)
    {
        var degradation = q.Pick(Photometric);
        SceneObject? occluded = null;
        if (q.Coin())
        {
            occluded = q.PickObject();
            degradation |= ImageDegradation.Occlusion;
        }
        var image = ImageDegrader.Degrade(q.Scene, degradation, occluded == null ? [] : [occluded], q.Rng);
        var visible = q.Objects.Where(o => o != occluded).ToArray();
        var visibleDigits = degradation.HasFlag(ImageDegradation.Blur) ? [] : visible.Where(o => o.Digit != null).ToArray();
        var emptyRegions = SceneAttributes.Regions.Where(r => q.Scene.ObjectAt(r) == null).ToArray();

        bool Add(string question, string answer, QuestionSkill skill, int[] evidence, UnanswerableReason reason = UnanswerableReason.None) =>
            q.Open(question, answer, skill, evidence, image: image, degradation: degradation, unanswerable: reason);

        // an unanswerable target: the destroyed object (when there is one, half the time) or something never there
        bool UseOccluded() => occluded != null && q.Coin();

        q.Run(q.Scene.Options.QuestionsPerSuite,
            (3, () =>
            {
                if (visible.Length == 0) return false;
                var o = q.Pick(visible);
                return Add(Template.Fill(ColorAt, "region", o.Region.Word()), o.Color.Word(), QuestionSkill.Color, [o.Index]);
            }
        ),
            (3, () =>
            {
                if (visible.Length == 0) return false;
                var o = q.Pick(visible);
                return Add(Template.Fill(Where, "object", o.Name), o.Region.Word(), QuestionSkill.Position, [o.Index]);
            }
        ),
            (3, () =>
            {
                if (visibleDigits.Length == 0) return false;
                var o = q.Pick(visibleDigits);
                return Add(Template.Fill(DigitOn, "object", o.Name), o.LabelText, QuestionSkill.Digit, [o.Index]);
            }
        ),
            (1, () =>
            {
                if (UseOccluded()) return Add(Template.Fill(ColorAt, "region", occluded!.Region.Word()), Unanswerable, QuestionSkill.Color, [occluded.Index], UnanswerableReason.Occluded);
                if (emptyRegions.Length == 0) return false;
                return Add(Template.Fill(ColorAt, "region", q.Pick(emptyRegions).Word()), Unanswerable, QuestionSkill.Color, [], UnanswerableReason.Absent);
            }
        ),
            (1, () => UnanswerableAbout(q, Where, QuestionSkill.Position, occluded, UseOccluded(), Add)),
            (1, () => UnanswerableAbout(q, DigitOn, QuestionSkill.Digit, occluded, UseOccluded(), Add)));
    }

    static bool UnanswerableAbout(QuestionContext q, string template, QuestionSkill skill, SceneObject? occluded, bool useOccluded,
        Func<string, string, QuestionSkill, int[], UnanswerableReason, bool> add)
    {
        if (useOccluded) return add(Template.Fill(template, "object", occluded!.Name), Unanswerable, skill, [occluded.Index], UnanswerableReason.Occluded);
        return add(Template.Fill(template, "object", QuestionContext.Name(q.Pick(q.AbsentKinds))), Unanswerable, skill, [], UnanswerableReason.Absent);
    }
}
