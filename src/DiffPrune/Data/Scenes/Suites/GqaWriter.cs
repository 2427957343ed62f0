namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// GQA: compositional questions over spatial relations (<see cref="SpatialRelation"/>), open answers (a colour, a
/// shape, a size, yes or no). An anchor is named by colour and shape; a question about "the object left of" it is
/// asked only when exactly one object qualifies. Single-object scenes get one "is there an object ...?" (no).
/// </summary>
internal static class GqaWriter
{
    const string ColorOfRelated = "what color is the object {relation} the {object}?";
    const string ShapeOfRelated = "which shape is {relation} the {object}?";
    const string SizeOfRelated = "what size is the object {relation} the {object}?";
    const string ColorOfFiltered = "what color is the {shape} {relation} the {object}?";
    const string Verify = "is the {object} {relation} the {other}?";
    const string Exists = "is there an object {relation} the {object}?";

    public static IReadOnlyList<string> Templates { get; } = [ColorOfRelated, ShapeOfRelated, SizeOfRelated, ColorOfFiltered, Verify, Exists];

    public static void Write(QuestionContext q)
    {
        // a lone object has no relations: one "is there an object ... ?" (no) is enough
        q.Run(q.Count == 1 ? 1 : q.Scene.Options.QuestionsPerSuite,
            (2, () => Unique(q, ColorOfRelated, o => o.Color.Word(), QuestionSkill.Color)),
            (2, () => Unique(q, ShapeOfRelated, o => o.Shape.Word(), QuestionSkill.Shape)),
            (1, () => Unique(q, SizeOfRelated, o => o.Size.Word(), QuestionSkill.Size)),
            (2, () => Filtered(q)),
            (2, () => VerifyRelation(q)),
            (1, () => Existence(q)));
    }

    // (anchor, relation) pairs with exactly one related object, in random order
    static IEnumerable<(SceneObject Anchor, SpatialRelation Relation, SceneObject Target)> UniquePairs(QuestionContext q) =>
        q.Shuffle(from a in q.Objects from r in SpatialRelations.All let related = q.Related(r, a) where related.Length == 1 select (a, r, related[0]));

    static bool Unique(QuestionContext q, string template, Func<SceneObject, string> answer, QuestionSkill skill)
    {
        foreach (var (a, r, t) in UniquePairs(q))
            if (q.Open(Template.Fill(template, "relation", r.Word(), "object", a.Name), answer(t), skill, [a.Index, t.Index]))
                return true;
        return false;
    }

    // "what color is the triangle above the red circle?": the one object of that shape among those related
    static bool Filtered(QuestionContext q)
    {
        var candidates = from a in q.Objects
                         from r in SpatialRelations.All
                         let related = q.Related(r, a)
                         from t in related
                         where related.Count(o => o.Shape == t.Shape) == 1
                         select (a, r, t);
        foreach (var (a, r, t) in q.Shuffle(candidates))
            if (q.Open(Template.Fill(ColorOfFiltered, "shape", t.Shape.Word(), "relation", r.Word(), "object", a.Name), t.Color.Word(), QuestionSkill.Color, [a.Index, t.Index]))
                return true;
        return false;
    }

    static bool VerifyRelation(QuestionContext q)
    {
        if (q.Count < 2) return false;
        bool yes = q.Coin();
        var candidates = from a in q.Objects from b in q.Objects where a != b from r in SpatialRelations.All where r.Holds(a, b) == yes select (a, b, r);
        foreach (var (a, b, r) in q.Shuffle(candidates))
            if (q.Open(Template.Fill(Verify, "object", a.Name, "relation", r.Word(), "other", b.Name), yes ? "yes" : "no", QuestionSkill.Relation, [a.Index, b.Index]))
                return true;
        return false;
    }

    static bool Existence(QuestionContext q)
    {
        bool yes = q.Coin();
        var candidates = from a in q.Objects from r in SpatialRelations.All let related = q.Related(r, a) select (a, r, related);
        var list = q.Shuffle(candidates);
        // prefer the drawn answer; fall back to the other one (single-object scenes only have "no")
        foreach (var want in new[] { yes, !yes })
            foreach (var (a, r, related) in list.Where(c => (c.related.Length > 0) == want))
                if (q.Open(Template.Fill(Exists, "relation", r.Word(), "object", a.Name), want ? "yes" : "no", QuestionSkill.Relation,
                        related.Select(o => o.Index).Prepend(a.Index)))
                    return true;
        return false;
    }
}
