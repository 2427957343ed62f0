using DiffPrune.Data.Images;
using DiffPrune.Tensors;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// Draws a <see cref="Scene"/> from its seed: background, then 1..5 objects of distinct (colour, shape) kinds in
/// distinct regions, then the per-patch labels and the caption. Integer geometry only; the order of random draws is
/// part of the format (the test split's hash pins it).
/// </summary>
internal static class SceneGenerator
{
    public static Scene Generate(long seed, SceneOptions options)
    {
        if (seed < 0) throw new ArgumentOutOfRangeException(nameof(seed), $"scene seed {seed} is negative");
        options.Validate();
        var rng = SceneSeeds.For(seed, SceneSeeds.ImageStream);
        int size = options.ImageSize;
        var (background, backgroundKind) = BackgroundPainter.Paint(rng, size);

        int count = options.MinObjects + rng.NextInt(options.MaxObjects - options.MinObjects + 1);
        var regions = rng.Permutation(9)[..count];
        Array.Sort(regions);                                      // objects in reading order
        var kinds = SampleKinds(rng, count);
        var sizes = new ObjectSize[count];
        var digits = new int?[count];
        for (int k = 0; k < count; k++)
        {
            sizes[k] = rng.NextDouble() < options.LargeProbability ? ObjectSize.Large : ObjectSize.Small;
            if (sizes[k] == ObjectSize.Large && rng.NextDouble() < options.DigitProbability) digits[k] = rng.NextInt(10);
        }
        if (options.EnsureDigit && digits.All(d => d == null))
        {
            int k = rng.NextInt(count);
            sizes[k] = ObjectSize.Large;
            digits[k] = rng.NextInt(10);
        }

        var objects = new SceneObject[count];
        for (int k = 0; k < count; k++)
        {
            var region = (SceneRegion)regions[k];
            var (box, glyphPatch) = Place(rng, options, region, sizes[k], digits[k] != null);
            objects[k] = new SceneObject(k, kinds[k].Color, kinds[k].Shape, sizes[k], region, box, digits[k], glyphPatch);
        }

        var rgb = (byte[])background.Clone();
        var owner = new sbyte[size * size];
        Array.Fill(owner, (sbyte)-1);
        foreach (var o in objects) Draw(rgb, owner, size, options.PatchSize, o);
        var (patchObject, patchPixels, patchDigit) = LabelPatches(owner, objects, options);
        return new Scene(seed, options, new RgbImage(size, size, rgb), new RgbImage(size, size, background), backgroundKind,
            objects, patchObject, patchPixels, patchDigit, SceneCaption.Write(objects));
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
    static (PixelBox Box, int GlyphPatch) Place(Generator rng, SceneOptions options, SceneRegion region, ObjectSize size, bool digit)
    {
        int p = options.PatchSize, perRegion = options.PatchesPerRegion;
        int row0 = region.Row() * perRegion, col0 = region.Column() * perRegion;
        if (size == ObjectSize.Small)
        {
            int row = row0 + rng.NextInt(perRegion), col = col0 + rng.NextInt(perRegion);
            return (new PixelBox(col * p, row * p, p, p), -1);
        }
        int cRow = row0 + 1 + rng.NextInt(perRegion - 2), cCol = col0 + 1 + rng.NextInt(perRegion - 2);
        return (new PixelBox(cCol * p - p / 2, cRow * p - p / 2, 2 * p, 2 * p), digit ? cRow * options.GridSize + cCol : -1);
    }

    static void Draw(byte[] rgb, sbyte[] owner, int size, int patchSize, SceneObject o)
    {
        var mask = ShapeMask.Get(o.Shape, o.Box.Width);
        var color = o.Color.Rgb();
        for (int y = 0; y < o.Box.Height; y++)
            for (int x = 0; x < o.Box.Width; x++)
                if (mask[y * o.Box.Width + x]) Paint(rgb, owner, size, o.Box.X + x, o.Box.Y + y, color, o.Index);
        if (o.Digit is not int digit) return;

        // The glyph sits in one patch at a fixed offset; except on a ring (whose hole must stay visible) it lies on a
        // plate of the object's colour one pixel wider than the glyph, so it reads on every shape.
        int grid = size / patchSize;
        int px = o.GlyphPatch % grid * patchSize, py = o.GlyphPatch / grid * patchSize;
        int gx = px + (patchSize - DigitFont.Width) / 2, gy = py + (patchSize - DigitFont.Height) / 2;
        if (o.Shape != SceneShape.Ring)
            for (int y = Math.Max(gy - 1, py); y <= Math.Min(gy + DigitFont.Height, py + patchSize - 1); y++)
                for (int x = gx - 1; x <= gx + DigitFont.Width; x++)
                    Paint(rgb, owner, size, x, y, color, o.Index);
        var ink = o.Color.GlyphRgb();
        for (int y = 0; y < DigitFont.Height; y++)
            for (int x = 0; x < DigitFont.Width; x++)
                if (DigitFont.IsSet(digit, x, y)) Paint(rgb, owner, size, gx + x, gy + y, ink, o.Index);
    }

    static void Paint(byte[] rgb, sbyte[] owner, int size, int x, int y, (byte R, byte G, byte B) c, int index)
    {
        int i = y * size + x;
        (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = c;
        owner[i] = (sbyte)index;
    }

    static (int[] Object, int[] Pixels, int[] Digit) LabelPatches(sbyte[] owner, SceneObject[] objects, SceneOptions options)
    {
        int size = options.ImageSize, p = options.PatchSize, grid = options.GridSize, n = objects.Length;
        var counts = new int[grid * grid * n];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                if (owner[y * size + x] >= 0) counts[((y / p) * grid + x / p) * n + owner[y * size + x]]++;
        var patchObject = new int[grid * grid];
        var patchPixels = new int[grid * grid];
        var patchDigit = new int[grid * grid];
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
            if (o.Digit is not int digit) continue;
            patchObject[o.GlyphPatch] = o.Index;                   // the glyph's patch always belongs to its object
            patchPixels[o.GlyphPatch] = counts[o.GlyphPatch * n + o.Index];
            patchDigit[o.GlyphPatch] = digit;
        }
        return (patchObject, patchPixels, patchDigit);
    }
}
