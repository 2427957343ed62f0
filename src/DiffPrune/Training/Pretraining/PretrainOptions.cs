using System.Globalization;
using System.Text;
using DiffPrune.Data.Scenes;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// How <see cref="Pretrainer"/> trains the base VLM. Every default carries its reason; <see cref="Describe"/> lists
/// them all and goes into the checkpoint, so that a resume with different options is refused.
/// </summary>
public sealed record PretrainOptions
{
    /// <summary>Seed of the weights and of every data draw.</summary>
    public ulong Seed { get; init; }

    /// <summary>Scene geometry (N = 144 by default, 81 with <see cref="SceneOptions.Grid81"/>; variable-resolution scenes train
    /// the Qwen2.5-VL-style model, <see cref="SceneQwen"/>).</summary>
    public SceneOptions Scenes { get; init; } = SceneOptions.Default;

    /// <summary>Stage 0 steps: dense patch labels are learned quickly; digits and shapes take the longest.</summary>
    public int VisionSteps { get; init; } = 1500;

    /// <summary>Images per stage-0 step.</summary>
    public int VisionBatch { get; init; } = 16;

    /// <summary>Stage 0 peak learning rate.</summary>
    public double VisionLearningRate { get; init; } = 2e-3;

    /// <summary>Stage 1 steps (captions only). Short: captions are long and the answers matter more.</summary>
    public int AlignmentSteps { get; init; } = 300;

    /// <summary>Stage 2 steps (questions of all suites, some captions).</summary>
    public int InstructionSteps { get; init; } = 2000;

    /// <summary>Captions (one scene each) per stage-1 step.</summary>
    public int CaptionsPerStep { get; init; } = 32;

    /// <summary>Scenes per stage-2 step; each contributes <see cref="ItemsPerScene"/> items and one vision pass (two with its VizWiz image).</summary>
    public int ScenesPerStep { get; init; } = 16;

    /// <summary>Questions per scene and stage-2 step (drawn without replacement), packed into sequences of
    /// <see cref="TurnsPerSequence"/> turns.</summary>
    public int ItemsPerScene { get; init; } = 24;

    /// <summary>Chance that a stage-2 scene also trains its caption (few caption tokens relative to answers, but the
    /// pruner later trains on captions, so the model must keep describing images).</summary>
    public double CaptionShare { get; init; } = 0.5;

    /// <summary>Chance that a stage-2 scene is seen with its object patches and only some of its background
    /// (<see cref="BackgroundDrop"/>), so that answers do not depend on how many background tokens there are.</summary>
    public double BackgroundDropShare { get; init; }

    /// <summary>The optimizer of every stage (stage 0 peaks at <see cref="VisionLearningRate"/>): a small model from scratch wants a high learning rate.</summary>
    public OptimizerSettings Optimizer { get; init; } = new() { LearningRate = 2e-3, WarmupSteps = 100 };

    /// <summary>Fraction of each stage trained on scenes of 1–2 objects before the full range (a curriculum: grounding
    /// a single object is learned first).</summary>
    public double CurriculumFraction { get; init; } = 0.2;

    /// <summary>Write a checkpoint every this many steps (and at every stage end): a few minutes of training at most.</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>Evaluate on validation scenes every this many stage-2 steps (and at the end); 0 = only at the end.</summary>
    public int EvalEvery { get; init; } = 250;

    /// <summary>Validation scenes per evaluation (≈ 22 items each).</summary>
    public int EvalScenes { get; init; } = 30;

    /// <summary>Questions about the same image per stage-2 sequence. Turns do not see each other, so a packed turn trains
    /// exactly as the question alone would; each answer is only a token or two, so packing multiplies the supervised
    /// tokens per visual token encoded (a scene's ~20 questions cost about twice one question's sequence).</summary>
    public int TurnsPerSequence { get; init; } = 24;

    /// <summary>Stage 0 also trains heads that read each patch's row and column from its feature.</summary>
    public bool PositionHeads { get; init; }

    /// <summary>Layers of the LLM (when no architecture is given). A model folder with fewer can start it (<see cref="InitFrom"/>).</summary>
    public int LanguageLayers { get; init; } = SceneVlm.DefaultLanguageLayers;

    /// <summary>Start from these weights instead of random ones: a pretraining checkpoint file or a model folder
    /// (config.json + model.safetensors); the stages then continue from there (e.g. with 0 vision steps). A model folder whose LLM has fewer
    /// layers than <see cref="LanguageLayers"/> (at least half) is deepened first (<see cref="LanguageModelDeepening"/>). On
    /// variable-resolution scenes a LLaVA-style model folder of the same LLM shape starts the Qwen2.5-VL-style model's LLM only.</summary>
    public string? InitFrom { get; init; }

    /// <summary>All steps of all stages.</summary>
    public int TotalSteps => VisionSteps + AlignmentSteps + InstructionSteps;

    /// <summary>The stage and the step inside it of global step <paramref name="step"/>.</summary>
    public (PretrainStage Stage, int Step, int Steps) Locate(int step) =>
        step < VisionSteps ? (PretrainStage.Vision, step, VisionSteps)
        : step < VisionSteps + AlignmentSteps ? (PretrainStage.Alignment, step - VisionSteps, AlignmentSteps)
        : (PretrainStage.Instruction, step - VisionSteps - AlignmentSteps, InstructionSteps);

    /// <summary>Checks the options and returns them.</summary>
    /// <exception cref="ArgumentException">Names the option at fault.</exception>
    public PretrainOptions Validate()
    {
        Scenes.Validate();
        var rules = new OptionRules("pretrain options");
        rules.Require(Scenes.Resolution != SceneResolution.High || VisionSteps == 0,
            $"high-resolution scenes train a LLaVA-NeXT-style model whose tower reads 96 px tiles: start it from a standard model with --init and --vision-steps 0 (got {VisionSteps})");
        rules.Require(VisionSteps >= 0 && AlignmentSteps >= 0 && InstructionSteps >= 0, $"stage steps must be ≥ 0 (got {VisionSteps}, {AlignmentSteps}, {InstructionSteps})");
        rules.Require(TotalSteps > 0, "all three stages have 0 steps: nothing to train");
        rules.Require(VisionBatch >= 1, $"VisionBatch = {VisionBatch} must be ≥ 1");
        rules.Require(CaptionsPerStep >= 1 && ScenesPerStep >= 1 && ItemsPerScene >= 1, $"CaptionsPerStep = {CaptionsPerStep}, ScenesPerStep = {ScenesPerStep}, ItemsPerScene = {ItemsPerScene} must be ≥ 1");
        rules.Require(CaptionShare is >= 0 and <= 1, $"CaptionShare = {CaptionShare} is not in [0, 1]");
        rules.Require(BackgroundDropShare is >= 0 and <= 1, $"BackgroundDropShare = {BackgroundDropShare} is not in [0, 1]");
        rules.Require(VisionLearningRate > 0, $"VisionLearningRate = {VisionLearningRate} must be > 0");
        Optimizer.Validate(rules);
        rules.Require(CurriculumFraction is >= 0 and <= 1, $"CurriculumFraction = {CurriculumFraction} is not in [0, 1]");
        rules.Require(LanguageLayers is >= 1 and <= 64, $"LanguageLayers = {LanguageLayers} is not in 1..64");
        rules.Require(TurnsPerSequence is >= 1 and <= 64, $"TurnsPerSequence = {TurnsPerSequence} is not in 1..64");
        rules.Require(InitFrom == null || File.Exists(InitFrom) || Directory.Exists(InitFrom), $"InitFrom = {InitFrom}: no such checkpoint file or model folder");
        rules.Require(CheckpointEvery >= 1 && EvalEvery >= 0 && EvalScenes >= 1, $"CheckpointEvery = {CheckpointEvery}, EvalEvery = {EvalEvery}, EvalScenes = {EvalScenes}");
        return this;
    }

    /// <summary>One line per option that shapes the weights (not checkpoint or evaluation cadence): stored in checkpoints.
    /// Options added later appear only when they differ from their default, so older checkpoints still resume.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        void Line(string name, object value) => sb.Append(name).Append(" = ").Append(Convert.ToString(value, inv)).Append('\n');
        Line("seed", Seed);
        Line("scenes.image_size", Scenes.ImageSize);
        Line("scenes.patch_size", Scenes.PatchSize);
        Line("scenes.objects", $"{Scenes.MinObjects}-{Scenes.MaxObjects}");
        if (Scenes.Configuration != SceneBenchConfiguration.Classic) Line("scenes.bench", Scenes.Configuration.Name());
        if (Scenes.Resolution != SceneResolution.Standard) Line("scenes.resolution", Scenes.Resolution.Name());
        if (!Scenes.IsSquare) Line("scenes.image", $"{Scenes.ImageWidth}x{Scenes.ImageHeight}");
        if (Scenes.VariableSides is { } sides) Line("scenes.variable_sides", string.Join(",", sides));
        Line("vision_steps", VisionSteps);
        Line("vision_batch", VisionBatch);
        Line("vision_lr", VisionLearningRate);
        Line("alignment_steps", AlignmentSteps);
        Line("instruction_steps", InstructionSteps);
        if (CaptionsPerStep != 32) Line("captions_per_step", CaptionsPerStep);
        Line("scenes_per_step", ScenesPerStep);
        Line("items_per_scene", ItemsPerScene);
        Line("caption_share", CaptionShare);
        if (BackgroundDropShare != 0) Line("background_drop_share", BackgroundDropShare);
        Optimizer.Describe(sb, withSchedule: true);
        Line("curriculum_fraction", CurriculumFraction);
        Line("turns_per_sequence", TurnsPerSequence);
        if (PositionHeads) Line("position_heads", true);
        if (LanguageLayers != SceneVlm.DefaultLanguageLayers) Line("language_layers", LanguageLayers);
        if (InitFrom != null) Line("init_from", Path.GetFullPath(InitFrom));
        return sb.ToString();
    }
}
