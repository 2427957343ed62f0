namespace DiffPrune.Data.Scenes;

/// <summary>
/// The ten question suites of SceneBench, each mirroring by skill one benchmark of the paper's tables
/// (display names as there: <see cref="SceneSuites.DisplayName"/>).
/// </summary>
public enum SceneSuite
{
    /// <summary>GQA: compositional spatial relations, open answers, exact match.</summary>
    Gqa,
    /// <summary>MMBench: 4-option multiple choice over perception skills, letter answers (optionally circular).</summary>
    MmBench,
    /// <summary>MMBench-CN: MMBench's skills with paraphrased templates and option style (the language shift).</summary>
    MmBenchCn,
    /// <summary>MME: yes/no pairs (existence, count, position, colour); accuracy + accuracy+ per subtask.</summary>
    Mme,
    /// <summary>POPE: object presence with random / popular / adversarial negatives; F1.</summary>
    Pope,
    /// <summary>ScienceQA (image subset): knowledge from <see cref="SceneTextbook"/> plus the image; multiple choice.</summary>
    Sqa,
    /// <summary>VQAv2: open short answers (colour, shape, count, region, size, yes/no), exact match.</summary>
    VqaV2,
    /// <summary>TextVQA: reading the digit on an object, exact match.</summary>
    TextVqa,
    /// <summary>SEED-Bench: broad 4-option multiple choice (count, identity, attribute, location, relation, text).</summary>
    Seed,
    /// <summary>VizWiz: degraded images; "unanswerable" when the object asked about is destroyed or absent.</summary>
    VizWiz,
}
