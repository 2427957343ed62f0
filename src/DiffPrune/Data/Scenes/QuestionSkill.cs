namespace DiffPrune.Data.Scenes;

/// <summary>What a question tests (MME's subtasks are <see cref="Existence"/>, <see cref="Count"/>, <see cref="Position"/>, <see cref="Color"/>).</summary>
public enum QuestionSkill
{
    /// <summary>An object's colour.</summary>
    Color,
    /// <summary>An object's shape.</summary>
    Shape,
    /// <summary>An object's size.</summary>
    Size,
    /// <summary>Where an object is (its region).</summary>
    Position,
    /// <summary>How many objects (needs every object: falls under any pruning).</summary>
    Count,
    /// <summary>Reading the digit on an object.</summary>
    Digit,
    /// <summary>Whether an object is in the image.</summary>
    Existence,
    /// <summary>A spatial relation between objects.</summary>
    Relation,
    /// <summary>Which object is somewhere (colour and shape together).</summary>
    Identity,
    /// <summary>World knowledge (<see cref="SceneTextbook"/>) applied to the image.</summary>
    Knowledge,
}
