using DiffPrune.Data.Images;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// One benchmark item about a scene. Open items have no <see cref="Options"/> and a short answer; multiple-choice
/// items list 2–4 options and their answer is a letter (A–D). Feed the model <see cref="Image"/> (when set) or the
/// scene's image, and <see cref="Prompt"/>.
/// </summary>
public sealed record SceneQuestion
{
    /// <summary>The suite it belongs to.</summary>
    public required SceneSuite Suite { get; init; }
    /// <summary>Seed of its scene.</summary>
    public required long SceneSeed { get; init; }
    /// <summary>The question, without options ("what color is the object at the top left?").</summary>
    public required string Question { get; init; }
    /// <summary>The answer: a word or phrase from the suite's answer space (<see cref="SceneSuites.AnswerSpace"/>), or an option letter.</summary>
    public required string Answer { get; init; }
    /// <summary>What it tests (MME scores per skill).</summary>
    public required QuestionSkill Skill { get; init; }
    /// <summary>Options in presentation order (shuffled with the scene seed); empty for open questions.</summary>
    public IReadOnlyList<string> Options { get; init; } = [];
    /// <summary>How the options are written into <see cref="Prompt"/>.</summary>
    public OptionStyle OptionStyle { get; init; }
    /// <summary>Items of one scene that are scored together: MME's yes/no pair, MMBench's circular rotations; −1 for none.</summary>
    public int Group { get; init; } = -1;
    /// <summary>POPE's negative sampling split (positives carry the split they were asked in); null outside POPE.</summary>
    public PopeSplit? PopeSplit { get; init; }
    /// <summary>Indices (in <see cref="Scene.Objects"/>) of the objects whose patches hold the answer.</summary>
    public IReadOnlyList<int> Evidence { get; init; } = [];
    /// <summary>The image to show instead of the scene's (VizWiz's degraded image); null: the scene's image.</summary>
    public RgbImage? Image { get; init; }
    /// <summary>How <see cref="Image"/> was degraded (VizWiz).</summary>
    public ImageDegradation Degradation { get; init; }
    /// <summary>Why the answer is "unanswerable" (VizWiz), or <see cref="UnanswerableReason.None"/>.</summary>
    public UnanswerableReason Unanswerable { get; init; }

    /// <summary>The text given to the model: the question, then the options ("... A. red B. blue" or "... (A) red (B) blue").</summary>
    public string Prompt => Options.Count == 0 ? Question : $"{Question} {FormatOptions(Options, OptionStyle)}";

    /// <summary>Index of the right option, or −1 for open questions.</summary>
    public int AnswerIndex => Options.Count == 0 ? -1 : Answer[0] - 'A';

    /// <summary>The option letters.</summary>
    public static IReadOnlyList<string> Letters { get; } = ["A", "B", "C", "D"];

    /// <summary>"A. x B. y" or "(A) x (B) y".</summary>
    public static string FormatOptions(IReadOnlyList<string> options, OptionStyle style) =>
        string.Join(" ", options.Select((o, i) => style == OptionStyle.Dotted ? $"{Letters[i]}. {o}" : $"({Letters[i]}) {o}"));
}
