using DiffPrune.Data.Images;
using DiffPrune.Tensors;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// Draws a <see cref="Scene"/> from its seed: background and its clutter (from a stream of their own, so scenes without
/// clutter draw exactly what they always did), then objects of distinct (colour, shape) kinds in distinct regions, then
/// the per-patch labels and the caption, on a grid of R × C patches (a variable-size scene first draws its sides,
/// <see cref="SceneOptions.ForScene"/>). Integer geometry only; the order of random draws is
/// part of the format (the test split's hash pins it).
/// </summary>
internal static class SceneGenerator
{
    public static Scene Generate(long seed, SceneOptions options)
    {
        if (seed < 0) throw new ArgumentOutOfRangeException(nameof(seed), $"scene seed {seed} is negative");
        options = options.Validate().ForScene(seed).Validate();
        var rng = SceneSeeds.For(seed, SceneSeeds.ImageStream);
        int width = options.ImageWidth, height = options.ImageHeight;
        var (background, backgroundKind) = BackgroundPainter.Paint(rng, width, height);
        var clutter = ClutterPainter.Paint(SceneSeeds.For(seed, SceneSeeds.ClutterStream), background, width, height, options.MinClutter, options.MaxClutter);

        int count = options.MinObjects + rng.NextInt(options.MaxObjects - options.MinObjects + 1);
        var regions = rng.Permutation(9)[..count];
        Array.Sort(regions);                                      // objects in reading order
        var kinds = SampleKinds(rng, count);
        var sizes = new ObjectSize[count];
        var digits = new int?[count];
        for (int k = 0; k < count; k++)
        {
            sizes[k] = rng.NextDouble() < options.LargeProbability ? ObjectSize.Large : ObjectSize.Small;
            if (sizes[k] == ObjectSize.Large && rng.NextDouble() < options.DigitProbability) digits[k] = DrawLabel(rng, options);
        }
        if (options.EnsureDigit && digits.All(d => d == null))
        {
            int k = rng.NextInt(count);
            sizes[k] = ObjectSize.Large;
            digits[k] = DrawLabel(rng, options);
        }

        var objects = new SceneObject[count];
        for (int k = 0; k < count; k++)
        {
            var region = (SceneRegion)regions[k];
            var (box, glyphPatch) = Place(rng, options, region, sizes[k], digits[k]);
            objects[k] = new SceneObject(k, kinds[k].Color, kinds[k].Shape, sizes[k], region, box, digits[k], glyphPatch);
        }

        var rgb = (byte[])background.Clone();
        var owner = new sbyte[width * height];
        Array.Fill(owner, (sbyte)-1);
        foreach (var o in objects) Draw(rgb, owner, options, o);
        var (patchObject, patchPixels, patchDigit) = LabelPatches(owner, objects, options);
        var patchClutter = ClutterPatches(clutter, owner, patchObject, options);
        return new Scene(seed, options, new RgbImage(width, height, rgb), new RgbImage(width, height, background), backgroundKind,
            objects, patchObject, patchPixels, patchDigit, patchClutter, SceneCaption.Write(objects));
    }

    // One glyph: a digit 0–9; two: a number 10–99 (no leading zero, so the label reads the same as its value).
    static int DrawLabel(Generator rng, SceneOptions options) => options.LabelGlyphs == 1 ? rng.NextInt(10) : 10 + rng.NextInt(90);

    // A patch is clutter when at least MinPatchPixels of its visible pixels are clutter marks and no object labels it.
    static bool[] ClutterPatches(bool[] clutter, sbyte[] owner, int[] patchObject, SceneOptions options)
    {
        int width = options.ImageWidth, height = options.ImageHeight, p = options.PatchSize, columns = options.GridColumns;
        var counts = new int[options.PatchCount];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                if (clutter[y * width + x] && owner[y * width + x] < 0) counts[(y / p) * columns + x / p]++;
        var patches = new bool[options.PatchCount];
        for (int q = 0; q < patches.Length; q++) patches[q] = patchObject[q] < 0 && counts[q] >= options.MinPatchPixels;
        return patches;
    }

    // n distinct kinds, each drawn with probability ∝ SceneAttributes.Prior among those not yet taken.
    static (SceneColor Color, SceneShape Shape)[] SampleKinds(Generator rng, int n)
    {
        var weights = new int[SceneAttributes.KindCount];
        int total = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            var (c, s) = SceneAttributes.Kind(i);
            total += weights[i] = SceneAttributes.Prior(c, s);
        }
        var kinds = new (SceneColor, SceneShape)[n];
        for (int k = 0; k < n; k++)
        {
            int r = rng.NextInt(total), i = 0;
            while (r >= weights[i]) r -= weights[i++];
            kinds[k] = SceneAttributes.Kind(i);
            total -= weights[i];
            weights[i] = 0;
        }
        return kinds;
    }

    // Small objects fill one patch of the region; large ones are 2 patches wide, centred on a patch that is not on the
    // region's border, so they stay inside the region. Returns the box and the patch a digit would go in.
    // A two-glyph label's second glyph lies in the patch right of the centre one, on a plate that reaches past the
    // shape: the box widens by half a patch to hold it (the shape itself stays 2 patches wide, drawn at the box's height).
    static (PixelBox Box, int GlyphPatch) Place(Generator rng, SceneOptions options, SceneRegion region, ObjectSize size, int? label)
    {
        bool digit = label != null;
        int p = options.PatchSize, rows = options.PatchesPerRegionY, columns = options.PatchesPerRegionX;
        int row0 = region.Row() * rows, col0 = region.Column() * columns;
        if (size == ObjectSize.Small)
        {
            int row = row0 + rng.NextInt(rows), col = col0 + rng.NextInt(columns);
            return (new PixelBox(col * p, row * p, p, p), -1);
        }
        int cRow = row0 + 1 + rng.NextInt(rows - 2), cCol = col0 + 1 + rng.NextInt(columns - 2);
        int width = label >= 10 ? 2 * p + p / 2 : 2 * p;
        return (new PixelBox(cCol * p - p / 2, cRow * p - p / 2, width, 2 * p), digit ? cRow * options.GridColumns + cCol : -1);
    }

    static void Draw(byte[] rgb, sbyte[] owner, SceneOptions options, SceneObject o)
    {
        int width = options.ImageWidth;
        int side = o.Box.Height;                                   // the shape is square; a two-glyph plate widens only the box
        var mask = ShapeMask.Get(o.Shape, side);
        var color = o.Color.Rgb();
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                if (mask[y * side + x]) Paint(rgb, owner, width, o.Box.X + x, o.Box.Y + y, color, o.Index);
        var glyphs = o.GlyphPatches;
        for (int i = 0; i < glyphs.Count; i++)
            DrawGlyph(rgb, owner, options, o, glyphs[i], o.LabelText[i] - '0', plate: o.Shape != SceneShape.Ring || i > 0);
    }

    // The glyph sits in one patch at a fixed offset; except on a ring (whose hole must stay visible) it lies on a
    // plate of the object's colour one pixel wider than the glyph, so it reads on every shape. A second glyph always
    // has its plate: it lies beside the shape, not on it.
    static void DrawGlyph(byte[] rgb, sbyte[] owner, SceneOptions options, SceneObject o, int patch, int digit, bool plate)
    {
        int width = options.ImageWidth, patchSize = options.PatchSize;
        var (px, py, _, _) = options.PatchBox(patch);
        int gx = px + (patchSize - DigitFont.Width) / 2, gy = py + (patchSize - DigitFont.Height) / 2;
        var color = o.Color.Rgb();
        if (plate)
            for (int y = Math.Max(gy - 1, py); y <= Math.Min(gy + DigitFont.Height, py + patchSize - 1); y++)
                for (int x = gx - 1; x <= gx + DigitFont.Width; x++)
                    Paint(rgb, owner, width, x, y, color, o.Index);
        var ink = o.Color.GlyphRgb();
        for (int y = 0; y < DigitFont.Height; y++)
            for (int x = 0; x < DigitFont.Width; x++)
                if (DigitFont.IsSet(digit, x, y)) Paint(rgb, owner, width, gx + x, gy + y, ink, o.Index);
    }

    static void Paint(byte[] rgb, sbyte[] owner, int width, int x, int y, (byte R, byte G, byte B) c, int index)
    {
        int i = y * width + x;
        (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = c;
        owner[i] = (sbyte)index;
    }

    static (int[] Object, int[] Pixels, int[] Digit) LabelPatches(sbyte[] owner, SceneObject[] objects, SceneOptions options)
    {
        int width = options.ImageWidth, height = options.ImageHeight, p = options.PatchSize, columns = options.GridColumns, n = objects.Length;
        var counts = new int[options.PatchCount * n];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                if (owner[y * width + x] >= 0) counts[((y / p) * columns + x / p) * n + owner[y * width + x]]++;
        var patchObject = new int[options.PatchCount];
        var patchPixels = new int[options.PatchCount];
        var patchDigit = new int[options.PatchCount];
        Array.Fill(patchDigit, -1);
        for (int q = 0; q < patchObject.Length; q++)
        {
            int best = -1, bestCount = options.MinPatchPixels - 1;
            for (int k = 0; k < n; k++)
                if (counts[q * n + k] > bestCount) (best, bestCount) = (k, counts[q * n + k]);
            patchObject[q] = best;
            patchPixels[q] = best < 0 ? 0 : bestCount;
        }
        foreach (var o in objects)
        {
            var glyphs = o.GlyphPatches;
            for (int i = 0; i < glyphs.Count; i++)
            {
                int q = glyphs[i];
                patchObject[q] = o.Index;                          // a glyph's patch always belongs to its object
                patchPixels[q] = counts[q * n + o.Index];
                patchDigit[q] = o.LabelText[i] - '0';
            }
        }
        return (patchObject, patchPixels, patchDigit);
    }
}
