using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;

namespace DiffPrune.Eval;

/// <summary>
/// One row of a comparison at one budget: its label in the tables and how to set it up on a VLM (a method reads the
/// VLM's depth, tower or projector, so a profile can build it on more than one model).
/// </summary>
/// <param name="Label">"FastV", "DiffPrune", "DiffPrune (trained K = 16)".</param>
/// <param name="Build">The method on a given VLM.</param>
public sealed record ComparedMethod(string Label, Func<IVisionLanguageModel, IPruningMethod> Build);
