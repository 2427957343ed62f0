using DiffPrune.Data.Scenes;
using DiffPrune.Tensors;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// A stage-2 augmentation: the LLM sees all of a scene's object patches and only a random share of its background
/// patches. Trained on all N tokens only, the base VLM learns to count and to check presence from how its attention
/// divides between object and background tokens, so dropping background alone (which loses no information) changes
/// its answers, and every pre-LLM pruner is punished for a quirk of the model rather than for what it dropped.
/// Real VLMs are far less sensitive to losing redundant tokens; this keeps SceneBench measuring what a pruner keeps.
/// </summary>
public static class BackgroundDrop
{
    /// <summary>Patches to keep, ascending: every patch of an object, and each background patch with a chance drawn
    /// uniformly from [0, 1) once per call (so from none of the background to nearly all of it).</summary>
    public static int[] Keep(Scene scene, Generator gen)
    {
        double share = gen.NextDouble();
        var keep = new List<int>();
        for (int p = 0; p < scene.PatchObject.Count; p++)
        {
            bool onObject = scene.PatchObject[p] >= 0;
            if (gen.NextDouble() < share || onObject) keep.Add(p);
        }
        return keep.Count > 0 ? keep.ToArray() : [gen.NextInt(scene.PatchObject.Count)];
    }
}
