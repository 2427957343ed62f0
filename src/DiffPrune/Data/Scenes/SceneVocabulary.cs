using DiffPrune.Data.Scenes.Suites;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// Every text SceneBench can emit is built from these pieces: the caption and question templates (slots removed),
/// attribute words, region phrases, digits, option letters and formats, answers and the textbook. The word tokenizer's
/// closed vocabulary is read off them (<see cref="Text.WordTokenizer.ForSceneBench"/>).
/// </summary>
public static class SceneVocabulary
{
    /// <summary>The pieces of text, each to be split into tokens.</summary>
    public static IEnumerable<string> Texts()
    {
        yield return Template.FixedText(SceneCaption.Template);
        yield return "a an";
        foreach (var t in SuiteWriters.Templates()) yield return Template.FixedText(t);
        foreach (var c in SceneAttributes.Colors) yield return c.Word();
        foreach (var s in SceneAttributes.Shapes) { yield return s.Word(); yield return s.Plural(); }
        foreach (var s in SceneAttributes.Sizes) yield return s.Word();
        foreach (var r in SceneAttributes.Regions) yield return r.Word();
        foreach (var r in SpatialRelations.All) yield return r.Word();
        yield return "0 1 2 3 4 5 6 7 8 9";
        yield return SceneQuestion.FormatOptions(SceneQuestion.Letters, OptionStyle.Dotted);
        yield return SceneQuestion.FormatOptions(SceneQuestion.Letters, OptionStyle.Parenthesized);
        yield return "yes no warm cool even odd";
        foreach (var suite in SceneSuites.All)
            foreach (var answer in SceneSuites.AnswerSpace(suite)) yield return answer;
        foreach (var fact in SceneTextbook.Facts) yield return fact;
    }
}
