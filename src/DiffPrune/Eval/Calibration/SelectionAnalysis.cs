using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;

namespace DiffPrune.Eval.Calibration;

/// <summary>Where one method's kept tokens fall on a configuration's scenes.</summary>
/// <param name="Configuration">"classic" or "dense".</param>
/// <param name="Method">The method's name.</param>
/// <param name="Keep">K.</param>
/// <param name="Object">Share of kept tokens on object patches.</param>
/// <param name="Clutter">Share on clutter patches.</param>
/// <param name="Plain">Share on plain background.</param>
/// <param name="Held">What a perfect reader gets from the kept patches (<see cref="PatchFacts"/>).</param>
public sealed record SelectionShare(string Configuration, string Method, int Keep, double Object, double Clutter, double Plain, FactShare Held);

/// <summary>
/// The baselines' selections on SceneBench scenes, through the one inference path: each scene is encoded once, each
/// method keeps K tokens (pre-LLM methods by their own function; in-LLM ones are run to the last layer with the
/// scene's first VQAv2 question as the prompt, whose last token FastV reads), and the kept patches are sorted into
/// object, clutter and plain background.
/// </summary>
public static class SelectionAnalysis
{
    /// <summary>The shares of <paramref name="methods"/> (registry names) at K = <paramref name="keep"/> on <paramref name="examples"/>.</summary>
    /// <exception cref="ArgumentException">An unknown method, no scenes, or scenes of another geometry than the model's.</exception>
    public static IReadOnlyList<SelectionShare> Run(VlmInference inference, WordTokenizer tokenizer, IReadOnlyList<SceneExample> examples,
        IReadOnlyList<string> methods, int keep, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("the selection analysis needs at least one scene", nameof(examples));
        var vlm = inference.AsLlava("the selection analysis (patch facts on the tower's grid)");
        if (examples[0].Scene.PatchObject.Count != vlm.Config.Vision.NumPatches)
            throw new ArgumentException($"scenes of {examples[0].Scene.PatchObject.Count} patches for a model of {vlm.Config.Vision.NumPatches} visual tokens");
        var built = methods.Select(m => PruningMethods.Create(m, vlm, keep, seed)).ToArray();
        var counts = new double[methods.Count, 3];
        var held = methods.Select(_ => new List<(double, double)>()).ToArray();
        var facts = examples.Select(e => new PatchFacts(e.Scene)).ToArray();
        using var _ = Autograd.NoGrad();
        for (int s = 0; s < examples.Count; s++)
        {
            var scene = examples[s].Scene;
            var question = examples[s].ItemsOf(SceneSuite.VqaV2).Concat(examples[s].Items).First().Prompt;
            var prompt = ScenePrompt.PromptIds(tokenizer, question);
            var tokens = inference.Encode([scene.Image], built.Any(m => m.NeedsVisionAttentions));
            for (int m = 0; m < built.Length; m++)
            {
                var kept = PruneComparison.KeptPatches(inference, built[m], tokens, prompt);
                foreach (int p in kept) counts[m, scene.PatchObject[p] >= 0 ? 0 : scene.PatchClutter[p] ? 1 : 2] += 1.0 / kept.Length;
                var (objects, glyphs) = facts[s].Held(kept);
                held[m].Add((objects, glyphs));
            }
        }
        string configuration = examples[0].Scene.Options.Configuration.Name();
        return methods.Select((name, m) => new SelectionShare(configuration, name, keep,
            counts[m, 0] / examples.Count, counts[m, 1] / examples.Count, counts[m, 2] / examples.Count, FactShare.Mean(facts, held[m]))).ToArray();
    }
}
