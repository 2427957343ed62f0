using DiffPrune.Data.Scenes;
using DiffPrune.Models.Vlm;
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

    /// <summary>The same drop seen by a LLaVA-NeXT model: the visual tokens of <paramref name="layout"/> (slots, ascending) whose
    /// region of the image overlaps a patch of <paramref name="scene"/> in <paramref name="keptPatches"/>, so that an object's
    /// base-view token stays whenever its tile tokens do.</summary>
    public static int[] TokensShowing(int[] keptPatches, Scene scene, AnyResLayout layout)
    {
        var kept = new bool[scene.PatchObject.Count];
        foreach (int p in keptPatches) kept[p] = true;
        int size = scene.Options.PatchSize, columns = scene.Options.GridColumns;
        var tokens = new List<int>();
        var regions = layout.Regions();
        for (int t = 0; t < regions.Length; t++)
        {
            var (top, left, bottom, right) = regions[t];
            // the patches the region overlaps: [first, last] rows and columns (an edge that only touches a patch does not count)
            int y0 = (int)(top / size), y1 = (int)Math.Ceiling(bottom / size) - 1, x0 = (int)(left / size), x1 = (int)Math.Ceiling(right / size) - 1;
            bool any = false;
            for (int y = y0; y <= y1 && !any; y++)
                for (int x = x0; x <= x1 && !any; x++)
                    any = kept[y * columns + x];
            if (any) tokens.Add(t);
        }
        return tokens.Count > 0 ? tokens.ToArray() : [0];
    }
}
