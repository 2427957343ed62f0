namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// SEED-Bench: broad 4-option multiple choice over its image dimensions: scene understanding (count), instance
/// identity (which object is at a region), instance attribute (colour), instance location (region), spatial relation
/// (which object is left of another) and text (digit). Object options are "colour shape" names; distractors include
/// absent kinds sharing an attribute with the answer, so colour and shape must both be seen.
/// </summary>
internal static class SeedWriter
{
    const string HowMany = "how many objects can be seen in the image?";
    const string WhichAt = "which object is at the {region}?";
    const string ColorOf = "what is the color of the {shape} at the {region}?";
    const string WhereLocated = "where is the {object} located?";
    const string WhichRelated = "which object is {relation} the {object}?";
    const string DigitSeen = "which digit can be seen on the {object}?";

    public static IReadOnlyList<string> Templates { get; } = [HowMany, WhichAt, ColorOf, WhereLocated, WhichRelated, DigitSeen];


    public static void Write(QuestionContext q)
    {
        q.Run(q.Scene.Options.QuestionsPerSuite,
            (1, () => q.Choice(HowMany, q.Count.ToString(), q.WrongCounts(1, 6).Select(n => n.ToString()), 4, QuestionSkill.Count, q.AllObjects)),
            (2, () =>
            {
                // one object seen elsewhere in the image (if any), then absent look-alikes
                var o = q.PickObject();
                var elsewhere = q.Shuffle(q.Objects.Where(p => p != o).Select(p => p.Name)).Take(1);
                return q.Choice(Template.Fill(WhichAt, "region", o.Region.Word()), o.Name, elsewhere.Concat(ObjectDistractors(q, o)), 4, QuestionSkill.Identity, [o.Index], shufflePool: false);
            }
        ),
            (2, () =>
            {
                var o = q.PickObject();
                return q.Choice(Template.Fill(ColorOf, "shape", o.Shape.Word(), "region", o.Region.Word()), o.Color.Word(),
                    SceneAttributes.Colors.Select(c => c.Word()), 4, QuestionSkill.Color, [o.Index]);
            }
        ),
            (2, () =>
            {
                var o = q.PickObject();
                return q.Choice(Template.Fill(WhereLocated, "object", o.Name), o.Region.Word(), SceneAttributes.Regions.Select(r => r.Word()), 4, QuestionSkill.Position, [o.Index]);
            }
        ),
            (2, () =>
            {
                var pairs = q.Shuffle(from a in q.Objects from r in SpatialRelations.All let related = q.Related(r, a) where related.Length == 1 select (a, r, t: related[0]));
                foreach (var (a, r, t) in pairs)
                {
                    // the other objects of the image first (they are visible, just not there), then absent kinds
                    var pool = q.Shuffle(q.Objects.Where(o => o != t && o != a).Select(o => o.Name)).Concat(ObjectDistractors(q, t));
                    if (q.Choice(Template.Fill(WhichRelated, "relation", r.Word(), "object", a.Name), t.Name, pool, 4, QuestionSkill.Relation, [a.Index, t.Index], shufflePool: false))
                        return true;
                }
                return false;
            }
        ),
            (2, () =>
            {
                var withDigit = q.Objects.Where(o => o.Digit != null).ToArray();
                if (withDigit.Length == 0) return false;
                var o = q.Pick(withDigit);
                return q.Choice(Template.Fill(DigitSeen, "object", o.Name), o.LabelText, QuestionContext.WrongLabels(o), 4, QuestionSkill.Digit, [o.Index]);
            }
        ));
    }

    // absent kinds that share the colour or the shape of the answer, in random order, then any other absent kind
    static IEnumerable<string> ObjectDistractors(QuestionContext q, SceneObject answer)
    {
        var close = q.AbsentKinds.Where(k => k.Color == answer.Color || k.Shape == answer.Shape);
        var far = q.AbsentKinds.Where(k => k.Color != answer.Color && k.Shape != answer.Shape);
        return q.Shuffle(close).Concat(q.Shuffle(far)).Select(QuestionContext.Name);
    }
}
