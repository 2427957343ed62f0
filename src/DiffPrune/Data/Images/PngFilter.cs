namespace DiffPrune.Data.Images;

/// <summary>
/// The five PNG row filters (PNG specification §9.2), forward and inverse. Bytes are compared with the
/// corresponding byte of the pixel to the left (<c>a</c>, <c>bpp</c> bytes back), the row above
/// (<c>b</c>) and the upper-left (<c>c</c>); bytes left of the row and the row above the first are zero.
/// </summary>
internal static class PngFilter
{
    /// <summary>Undoes filter <paramref name="type"/> in place on <paramref name="row"/>; returns false for an unknown type.</summary>
    public static bool Unfilter(int type, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        int n = row.Length;
        switch (type)
        {
            case 0:
                return true;
            case 1:
                for (int i = bpp; i < n; i++) row[i] += row[i - bpp];
                return true;
            case 2:
                for (int i = 0; i < n; i++) row[i] += prior[i];
                return true;
            case 3:
                for (int i = 0; i < n; i++) row[i] += (byte)(((i >= bpp ? row[i - bpp] : 0) + prior[i]) >> 1);
                return true;
            case 4:
                for (int i = 0; i < n; i++)
                    row[i] += i >= bpp ? Paeth(row[i - bpp], prior[i], prior[i - bpp]) : prior[i]; // Paeth(0, b, 0) = b
                return true;
            default:
                return false;
        }
    }

    /// <summary>Writes filter <paramref name="type"/> (0..4) of <paramref name="row"/> into <paramref name="dest"/> (same length).</summary>
    public static void Filter(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> dest)
    {
        int n = row.Length;
        for (int i = 0; i < n; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            int predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                4 => Paeth(a, b, c),
                _ => throw new ArgumentOutOfRangeException(nameof(type), $"PNG filter type {type} is not 0..4"),
            };
            dest[i] = (byte)(row[i] - predictor);
        }
    }

    /// <summary>Of a, b, c, the one nearest to p = a + b − c (ties prefer a, then b).</summary>
    public static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return (byte)a;
        return pb <= pc ? (byte)b : (byte)c;
    }

    /// <summary>libpng's adaptive heuristic: the sum of the filtered bytes read as signed values, in absolute value.</summary>
    public static long Cost(ReadOnlySpan<byte> filtered)
    {
        long sum = 0;
        foreach (byte v in filtered) sum += Math.Abs((int)(sbyte)v);
        return sum;
    }
}
