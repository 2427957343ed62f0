namespace DiffPrune.Tensors;

/// <summary>
/// A seeded random generator (xoshiro256**, seeded through SplitMix64) with normal, uniform and Gumbel draws.
/// Its stream depends only on the seed, never on the .NET version, so runs reproduce across machines.
/// </summary>
public sealed class Generator
{
    ulong _s0, _s1, _s2, _s3;
    double? _spareNormal;

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), "n must be positive");
        return (int)((NextUInt64() >> 33) % (ulong)n);
    }

    /// <summary>Standard normal (Box–Muller, both values used).</summary>
    public double NextNormal()
    {
        if (_spareNormal is double s) { _spareNormal = null; return s; }
        double u1;
        do u1 = NextDouble(); while (u1 <= double.Epsilon);
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Standard Gumbel: −log(−log u).</summary>
    public double NextGumbel()
    {
        double u;
        do u = NextDouble(); while (u <= double.Epsilon);
        return -Math.Log(-Math.Log(u));
    }

    /// <summary>Fills with N(mean, std²).</summary>
    public void FillNormal(Span<float> dst, float mean = 0f, float std = 1f)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = (float)(mean + std * NextNormal());
    }

    /// <summary>Fills with U[low, high).</summary>
    public void FillUniform(Span<float> dst, float low = 0f, float high = 1f)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = (float)(low + (high - low) * NextDouble());
    }

    /// <summary>Fills with standard Gumbel noise.</summary>
    public void FillGumbel(Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = (float)NextGumbel();
    }

    /// <summary>A random permutation of 0..n−1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) { int j = NextInt(i + 1); (p[i], p[j]) = (p[j], p[i]); }
        return p;
    }

    /// <summary>Captures the full state (for resumable training).</summary>
    public ulong[] GetState() => new[] { _s0, _s1, _s2, _s3, _spareNormal is double d ? (ulong)BitConverter.DoubleToInt64Bits(d) : 0UL, _spareNormal.HasValue ? 1UL : 0UL };

    /// <summary>Restores a state captured by <see cref="GetState"/>.</summary>
    public void SetState(ulong[] state)
    {
        if (state.Length != 6) throw new ArgumentException("generator state must have 6 words");
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _spareNormal = state[5] != 0 ? BitConverter.Int64BitsToDouble((long)state[4]) : null;
    }
}
