namespace DiffPrune.Data.Scenes.Suites;

/// <summary>Which writer makes each suite's items, and the templates each uses.</summary>
internal static class SuiteWriters
{
    public static IReadOnlyList<SceneQuestion> Write(Scene scene, SceneSuite suite)
    {
        var q = new QuestionContext(scene, suite);
        switch (suite)
        {
            case SceneSuite.Gqa: GqaWriter.Write(q); break;
            case SceneSuite.MmBench: MmBenchWriter.Write(q, paraphrased: false); break;
            case SceneSuite.MmBenchCn: MmBenchWriter.Write(q, paraphrased: true); break;
            case SceneSuite.Mme: MmeWriter.Write(q); break;
            case SceneSuite.Pope: PopeWriter.Write(q); break;
            case SceneSuite.Sqa: SqaWriter.Write(q); break;
            case SceneSuite.VqaV2: VqaV2Writer.Write(q); break;
            case SceneSuite.TextVqa: TextVqaWriter.Write(q); break;
            case SceneSuite.Seed: SeedWriter.Write(q); break;
            case SceneSuite.VizWiz: VizWizWriter.Write(q); break;
            default: throw new ArgumentOutOfRangeException(nameof(suite), $"unknown suite {suite}");
        }
        return q.Items;
    }

    public static IEnumerable<string> Templates() =>
        GqaWriter.Templates.Concat(MmBenchWriter.Templates).Concat(MmeWriter.Templates).Concat(PopeWriter.Templates)
            .Concat(SqaWriter.Templates).Concat(VqaV2Writer.Templates).Concat(TextVqaWriter.Templates)
            .Concat(SeedWriter.Templates).Concat(VizWizWriter.Templates);
}
