using DiffPrune.Tensors;

namespace DiffPrune.Data.Scenes;

/// <summary>
/// Paints muted, partly textured backgrounds with integer arithmetic. Every tone has channels in 60..210 and a
/// channel spread (max − min) of at most 48, ramps stay between their two tones and noise moves all three channels
/// together, so background pixels keep spread ≤ 48 and channels in 40..230: never an object colour (spread ≥ 140),
/// never a glyph (0 or 255).
/// </summary>
internal static class BackgroundPainter
{
    /// <summary>Draws a kind and its parameters from <paramref name="rng"/> and paints a <paramref name="width"/> ×
    /// <paramref name="height"/> image (a square one exactly as before non-square scenes existed).</summary>
    public static (byte[] Rgb, BackgroundKind Kind) Paint(Generator rng, int width, int height)
    {
        var kind = (BackgroundKind)rng.NextInt(5);
        var a = Tone(rng);
        int delta = (15 + rng.NextInt(26)) * (rng.NextInt(2) == 0 ? -1 : 1);   // second tone 15..40 lighter or darker
        var b = Shift(a, delta, rng);
        var rgb = new byte[width * height * 3];
        switch (kind)
        {
            case BackgroundKind.Solid:
                Fill(rgb, width, height, (_, _) => a);
                break;
            case BackgroundKind.Gradient:
                {
                    int direction = rng.NextInt(3);                   // 0: left→right, 1: top→bottom, 2: diagonal
                    int span = direction switch { 0 => width - 1, 1 => height - 1, _ => width + height - 2 };
                    Fill(rgb, width, height, (x, y) =>
                    {
                        int t = direction switch { 0 => x, 1 => y, _ => x + y };
                        return Mix(a, b, t, span);
                    });
                    break;
                }
            case BackgroundKind.Stripes:
                {
                    int direction = rng.NextInt(4);                   // horizontal, vertical, ↘ and ↗ diagonals
                    int half = 2 + rng.NextInt(5);                    // band width 2..6 px: period 4..12
                    Fill(rgb, width, height, (x, y) =>
                    {
                        int t = direction switch { 0 => y, 1 => x, 2 => x + y, _ => x - y + height };
                        return (t / half) % 2 == 0 ? a : b;
                    });
                    break;
                }
            case BackgroundKind.Checker:
                {
                    int cell = 4 + rng.NextInt(13);                   // 4..16 px
                    Fill(rgb, width, height, (x, y) => (x / cell + y / cell) % 2 == 0 ? a : b);
                    break;
                }
            case BackgroundKind.Noise:
                {
                    int amplitude = 8 + rng.NextInt(13);              // 8..20 grey levels
                    for (int i = 0; i < width * height; i++)
                    {
                        int n = rng.NextInt(2 * amplitude + 1) - amplitude;
                        rgb[3 * i] = (byte)(a.R + n);
                        rgb[3 * i + 1] = (byte)(a.G + n);
                        rgb[3 * i + 2] = (byte)(a.B + n);
                    }
                    break;
                }
        }
        return (rgb, kind);
    }

    // A muted tone: grey level 80..180 plus a tint of ±20 per channel, clamped to 60..210.
    static (byte R, byte G, byte B) Tone(Generator rng)
    {
        int level = 80 + rng.NextInt(101);
        return (Clamp(level + rng.NextInt(41) - 20), Clamp(level + rng.NextInt(41) - 20), Clamp(level + rng.NextInt(41) - 20));
    }

    static (byte R, byte G, byte B) Shift((byte R, byte G, byte B) c, int delta, Generator rng) =>
        (Clamp(c.R + delta + rng.NextInt(9) - 4), Clamp(c.G + delta + rng.NextInt(9) - 4), Clamp(c.B + delta + rng.NextInt(9) - 4));

    static byte Clamp(int v) => (byte)Math.Clamp(v, 60, 210);

    static (byte R, byte G, byte B) Mix((byte R, byte G, byte B) a, (byte R, byte G, byte B) b, int t, int span) =>
        ((byte)(a.R + (b.R - a.R) * t / span), (byte)(a.G + (b.G - a.G) * t / span), (byte)(a.B + (b.B - a.B) * t / span));

    static void Fill(byte[] rgb, int width, int height, Func<int, int, (byte R, byte G, byte B)> color)
    {
        for (int y = 0, i = 0; y < height; y++)
            for (int x = 0; x < width; x++, i += 3)
                (rgb[i], rgb[i + 1], rgb[i + 2]) = color(x, y);
    }
}
