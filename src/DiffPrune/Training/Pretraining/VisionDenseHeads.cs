using DiffPrune.Data.Scenes;
using DiffPrune.Models.Vision;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Training.Pretraining;

/// <summary>
/// Accuracy of the dense heads: colour, shape, size and region on object patches, digit on the patches of objects that
/// carry one, anchors as balanced accuracy over all patches (few are anchors) (background patches excluded elsewhere:
/// predicting "none" is trivial there); the CLS head as balanced accuracy (mean of the hit rates on present and on
/// absent kinds, since most kinds are absent).
/// </summary>
/// <param name="Color">Colour on object patches.</param>
/// <param name="Shape">Shape on object patches.</param>
/// <param name="Size">Size on object patches.</param>
/// <param name="Digit">The object's digit on the patches of objects with one.</param>
/// <param name="Present">CLS objects-present, balanced.</param>
/// <param name="Position">The worse of row and column accuracy over all patches (NaN without position heads).</param>
/// <param name="Region">The object's region on object patches.</param>
/// <param name="Anchor">One anchor patch per object, balanced.</param>
public sealed record DenseAccuracy(double Color, double Shape, double Size, double Digit, double Present, double Position = double.NaN,
    double Region = double.NaN, double Anchor = double.NaN);

/// <summary>
/// Dense supervision of a vision tower on SceneBench, the first stage of the base VLM's pretraining: the generator
/// knows which object covers each patch, so per-patch heads on the feature layer the VLM reads learn, on every patch
/// of an object, that object's colour, shape, size, digit and region (class 0 = background or no digit) and whether
/// the patch is its anchor; a head on the pooled CLS learns which (colour, shape) kinds are present, so that CLS
/// attention means something. Object-level labels let the tower gather an object into each of its patches (as
/// CLIP's patch tokens carry object semantics): a question about the red triangle's digit is then answered from any
/// of its patches, in one lookup, while a pruner that drops all of them still loses it. Train-only: the heads are not
/// part of the VLM.
/// </summary>
public sealed class VisionDenseHeads : Module
{
    readonly Linear _color, _shape, _size, _digit, _region, _anchor, _present;
    readonly Linear? _row, _column;

    /// <summary>Creates the heads for features of width <paramref name="dim"/>; with <paramref name="gridSize"/> (the most
    /// patch rows or columns a scene has) also position heads that read each patch's row and column from its feature (the
    /// LLM sees image tokens only through RoPE offsets from the question, which shift with the prompt's length; "where" is
    /// easier when the feature says it).
    /// <paramref name="labelValues"/> is the number of labels an object can carry (<see cref="SceneOptions.LabelValues"/>:
    /// 10 digits, or 100 two-glyph numbers).</summary>
    public VisionDenseHeads(int dim, Generator gen, int? gridSize = null, int labelValues = 10)
    {
        _color = Child("color", new Linear(dim, Enum.GetValues<SceneColor>().Length + 1, true, gen));
        _shape = Child("shape", new Linear(dim, Enum.GetValues<SceneShape>().Length + 1, true, gen));
        _size = Child("size", new Linear(dim, Enum.GetValues<ObjectSize>().Length + 1, true, gen));
        _digit = Child("digit", new Linear(dim, labelValues + 1, true, gen));
        _region = Child("region", new Linear(dim, Enum.GetValues<SceneRegion>().Length + 1, true, gen));
        _anchor = Child("anchor", new Linear(dim, 2, true, gen));
        _present = Child("present", new Linear(dim, SceneAttributes.KindCount, true, gen));
        if (gridSize is int g)
        {
            _row = Child("row", new Linear(dim, g, true, gen));
            _column = Child("column", new Linear(dim, g, true, gen));
        }
    }

    /// <summary>
    /// Sum of the four per-patch cross-entropies on <paramref name="featureLayer"/>'s patch tokens and the CLS
    /// objects-present BCE (on the tower's pooled output), for <paramref name="scenes"/> encoded in <paramref name="output"/>.
    /// </summary>
    public (Tensor Loss, DenseAccuracy Accuracy) Loss(ClipVisionTransformer tower, VisionOutput output, int featureLayer, IReadOnlyList<Scene> scenes)
    {
        var h = output.HiddenStates[featureLayer];                 // (B, 1 + N, d)
        int b = h.Shape[0], n = h.Shape[1] - 1, d = h.Shape[2];
        if (scenes.Count != b || scenes.Any(s => s.PatchColor.Count != n))
            throw new ArgumentException($"{scenes.Count} scenes with {scenes[0].PatchColor.Count} patch labels for features of {b} images × {n} patches");
        return Loss(h.Slice(1, 1, 1 + n).Reshape(b * n, d), tower.Pooled(output), scenes);
    }

    /// <summary>
    /// The same losses on per-patch features <paramref name="patches"/> (ΣN_i, d: scene i's N_i patches in raster order, one
    /// scene after another, so scenes may differ in size) and one pooled feature per scene <paramref name="pooled"/> (B, d)
    /// for the objects-present head.
    /// </summary>
    /// <exception cref="ArgumentException">Features that do not match the scenes' patches.</exception>
    public (Tensor Loss, DenseAccuracy Accuracy) Loss(Tensor patches, Tensor pooled, IReadOnlyList<Scene> scenes)
    {
        int b = scenes.Count, total = scenes.Sum(s => s.PatchColor.Count);
        if (patches.Rank != 2 || patches.Shape[0] != total || pooled.Rank != 2 || pooled.Shape[0] != b)
            throw new ArgumentException($"{b} scenes with {total} patches in all, but patch features {ShapeUtil.Format(patches.Shape)} and pooled features {ShapeUtil.Format(pooled.Shape)}");
        var onObject = scenes.SelectMany(s => s.PatchObject.Select(o => o >= 0)).ToArray();
        var onDigit = scenes.SelectMany(s => s.PatchObjectDigit.Select(g => g >= 0)).ToArray();
        var anchors = scenes.SelectMany(s => s.PatchAnchor).ToArray();
        var heads = new (Linear Head, Func<Scene, IEnumerable<int>> Labels, bool[] Scored)[]
        {
            (_color, s => s.PatchColor, onObject), (_shape, s => s.PatchShape, onObject), (_size, s => s.PatchSize, onObject),
            (_digit, s => s.PatchObjectDigit, onDigit), (_region, s => s.PatchRegion, onObject),
        };
        Tensor? loss = null;
        var accuracy = new double[heads.Length];
        for (int k = 0; k < heads.Length; k++)
        {
            var labels = scenes.SelectMany(s => heads[k].Labels(s).Select(l => l + 1)).ToArray(); // −1 (none) → class 0
            var logits = heads[k].Head.Forward(patches);
            var ce = F.CrossEntropy(logits, labels);
            loss = loss == null ? ce : loss.Add(ce);
            accuracy[k] = Accuracy(logits, labels, heads[k].Scored);
        }
        var anchorLabels = anchors.Select(a => a ? 1 : 0).ToArray();
        var anchorLogits = _anchor.Forward(patches);
        loss = loss!.Add(F.CrossEntropy(anchorLogits, anchorLabels));
        double anchor = 0.5 * (Accuracy(anchorLogits, anchorLabels, anchors) + Accuracy(anchorLogits, anchorLabels, anchors.Select(a => !a).ToArray()));
        double position = double.NaN;
        if (_row != null && _column != null)
        {
            var rows = scenes.SelectMany(s => Enumerable.Range(0, s.PatchColor.Count).Select(p => p / s.Options.GridColumns)).ToArray();
            var columns = scenes.SelectMany(s => Enumerable.Range(0, s.PatchColor.Count).Select(p => p % s.Options.GridColumns)).ToArray();
            var rowLogits = _row.Forward(patches);
            var columnLogits = _column.Forward(patches);
            loss = loss!.Add(F.CrossEntropy(rowLogits, rows)).Add(F.CrossEntropy(columnLogits, columns));
            var all = Enumerable.Repeat(true, total).ToArray();
            position = Math.Min(Accuracy(rowLogits, rows, all), Accuracy(columnLogits, columns, all));
        }
        var present = _present.Forward(pooled);
        var targets = Tensor.FromArray(scenes.SelectMany(s => s.ObjectsPresent.Select(p => p ? 1f : 0f)).ToArray(), b, SceneAttributes.KindCount);
        loss = loss!.Add(F.BinaryCrossEntropyWithLogits(present, targets));
        var hits = present.ToArray().Zip(targets.ToArray(), (z, y) => (Present: y > 0.5f, Right: (z > 0) == (y > 0.5f))).ToArray();
        double presentAcc = 0.5 * (Rate(hits.Where(h => h.Present)) + Rate(hits.Where(h => !h.Present)));
        return (loss, new DenseAccuracy(accuracy[0], accuracy[1], accuracy[2], accuracy[3], presentAcc, position, accuracy[4], anchor));
    }

    static double Rate(IEnumerable<(bool Present, bool Right)> hits)
    {
        var list = hits.ToList();
        return list.Count == 0 ? 0 : list.Count(h => h.Right) / (double)list.Count;
    }

    static double Accuracy(Tensor logits, int[] labels, bool[] mask)
    {
        int classes = logits.Shape[1], right = 0, counted = 0;
        var data = logits.Data;
        for (int r = 0; r < labels.Length; r++)
        {
            if (!mask[r]) continue;
            int best = 0;
            for (int c = 1; c < classes; c++) if (data[r * classes + c] > data[r * classes + best]) best = c;
            counted++;
            if (best == labels[r]) right++;
        }
        return counted == 0 ? 0 : (double)right / counted;
    }
}
