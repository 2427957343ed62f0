using DiffPrune.Tensors;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// Paints clutter onto a background: small, busy, high-contrast marks (hatching, dots, fine checks, noise, nested
/// frames, scribbles) in dark or light near-greys, as the texture, text-free signage and odds and ends of a photo that
/// no caption mentions. They are salient (contrast, edges) and varied (six patterns, two tones, sizes 5–12 px), so
/// attention and feature-diversity heuristics spend tokens on them, yet they carry no answer. Every clutter channel
/// lies in 20..235 with a channel spread of at most 20: never an object colour (spread ≥ 140), never glyph ink
/// (exactly 0 or 255).
/// </summary>
internal static class ClutterPainter
{
    const int Patterns = 6, MinSide = 5, MaxSide = 12;

    /// <summary>Draws <paramref name="min"/>..<paramref name="max"/> marks from <paramref name="rng"/> onto
    /// <paramref name="rgb"/> (a <paramref name="width"/> × <paramref name="height"/> image) and returns which pixels they cover.</summary>
    public static bool[] Paint(Generator rng, byte[] rgb, int width, int height, int min, int max)
    {
        var mask = new bool[width * height];
        if (max == 0) return mask;
        int count = min + rng.NextInt(max - min + 1);
        for (int m = 0; m < count; m++) PaintMark(rng, rgb, mask, width, height);
        return mask;
    }

    static void PaintMark(Generator rng, byte[] rgb, bool[] mask, int width, int height)
    {
        int side = MinSide + rng.NextInt(MaxSide - MinSide + 1);
        int x0 = rng.NextInt(width - side + 1), y0 = rng.NextInt(height - side + 1);
        int pattern = rng.NextInt(Patterns);
        bool dark = rng.NextInt(2) == 0;
        var ink = Tone(rng, dark);
        var paper = Tone(rng, !dark);
        if (pattern == Patterns - 1)
        {
            Scribble(rng, rgb, mask, width, x0, y0, side, ink);
            return;
        }
        int period = 2 + rng.NextInt(3);
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
            {
                bool on = pattern switch
                {
                    0 => (x + y) % period == 0,                                                      // diagonal hatching
                    1 => x % period == 0 && y % period == 0,                                         // dot grid
                    2 => (x / 2 + y / 2) % 2 == 0,                                                   // fine checks
                    3 => rng.NextInt(2) == 0,                                                        // salt and pepper
                    _ => Math.Min(Math.Min(x, y), Math.Min(side - 1 - x, side - 1 - y)) % 2 == 0,    // nested frames
                };
                Set(rgb, mask, width, x0 + x, y0 + y, on ? ink : paper);
            }
    }

    // A random walk of 3·side steps inside the mark's box: thin dark or light strokes.
    static void Scribble(Generator rng, byte[] rgb, bool[] mask, int width, int x0, int y0, int side, (byte R, byte G, byte B) ink)
    {
        int x = rng.NextInt(side), y = rng.NextInt(side);
        for (int step = 0; step < 3 * side; step++)
        {
            Set(rgb, mask, width, x0 + x, y0 + y, ink);
            x = Math.Clamp(x + rng.NextInt(3) - 1, 0, side - 1);
            y = Math.Clamp(y + rng.NextInt(3) - 1, 0, side - 1);
        }
    }

    // Dark: grey level 20..60; light: 195..235; each channel tinted by up to ±10 (spread ≤ 20), clamped to 20..235.
    static (byte R, byte G, byte B) Tone(Generator rng, bool dark)
    {
        int level = dark ? 20 + rng.NextInt(41) : 195 + rng.NextInt(41);
        return (Channel(level + rng.NextInt(21) - 10), Channel(level + rng.NextInt(21) - 10), Channel(level + rng.NextInt(21) - 10));
    }

    static byte Channel(int v) => (byte)Math.Clamp(v, 20, 235);

    static void Set(byte[] rgb, bool[] mask, int width, int x, int y, (byte R, byte G, byte B) c)
    {
        int i = y * width + x;
        (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = c;
        mask[i] = true;
    }
}
