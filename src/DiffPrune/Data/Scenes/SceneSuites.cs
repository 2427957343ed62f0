namespace DiffPrune.Data.Scenes;

/// <summary>Names of the suites.</summary>
public static class SceneSuites
{
    /// <summary>All ten suites, in the column order of the paper's Table 1.</summary>
    public static IReadOnlyList<SceneSuite> All { get; } = Enum.GetValues<SceneSuite>();

    static readonly string[] Names = ["GQA", "MMBench", "MMBench-CN", "MME", "POPE", "SQA", "VQAv2", "TextVQA", "SEED", "VizWiz"];

    /// <summary>The benchmark's name as the paper prints it ("MMBench-CN", "VQAv2").</summary>
    public static string DisplayName(this SceneSuite suite) => Names[(int)suite];

    /// <summary>
    /// Every answer a suite's items can have: letters A–D for the multiple-choice suites (MMBench, MMBench-CN, SQA,
    /// SEED), yes/no for MME and POPE, else the words (GQA: colour, shape, size, yes/no; VQAv2: colour, shape, region,
    /// size, count, yes/no; TextVQA: digit; VizWiz: colour, region, digit, "unanswerable").
    /// </summary>
    public static IReadOnlyList<string> AnswerSpace(this SceneSuite suite) => Spaces[(int)suite];

    static readonly string[][] Spaces = BuildSpaces();

    static string[][] BuildSpaces()
    {
        var colors = SceneAttributes.Colors.Select(c => c.Word()).ToArray();
        var shapes = SceneAttributes.Shapes.Select(s => s.Word()).ToArray();
        var sizes = SceneAttributes.Sizes.Select(s => s.Word()).ToArray();
        var regions = SceneAttributes.Regions.Select(r => r.Word()).ToArray();
        string[] digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        var labels = digits.Concat(Enumerable.Range(10, 90).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();  // SceneOptions.LabelGlyphs
        string[] yesNo = ["yes", "no"];
        var letters = SceneQuestion.Letters.ToArray();
        return All.Select(suite => suite switch
        {
            SceneSuite.Gqa => [.. colors, .. shapes, .. sizes, .. yesNo],
            SceneSuite.MmBench or SceneSuite.MmBenchCn or SceneSuite.Sqa or SceneSuite.Seed => letters,
            SceneSuite.Mme or SceneSuite.Pope => yesNo,
            SceneSuite.VqaV2 => [.. colors, .. shapes, .. regions, .. sizes, .. digits, .. yesNo],
            SceneSuite.TextVqa => labels,
            SceneSuite.VizWiz => [.. colors, .. regions, .. labels, Suites.VizWizWriter.Unanswerable],
            _ => throw new ArgumentOutOfRangeException(nameof(suite), $"unknown suite {suite}"),
        }).ToArray();
    }

    /// <summary>The suite with display name <paramref name="name"/> (case-insensitive; enum names work too).</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static SceneSuite Parse(string name)
    {
        for (int i = 0; i < Names.Length; i++)
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase) || string.Equals(((SceneSuite)i).ToString(), name, StringComparison.OrdinalIgnoreCase))
                return (SceneSuite)i;
        throw new ArgumentException($"unknown suite '{name}'; known: {string.Join(", ", Names)}");
    }
}
