using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;

namespace DiffPrune.Tests.Hostile;

/// <summary>What one mutation does to a file's bytes.</summary>
public enum MutationKind
{
    /// <summary>Flip one bit.</summary>
    FlipBit,
    /// <summary>Set one byte.</summary>
    SetByte,
    /// <summary>Overwrite four bytes with a little-endian int32 (llama2.c, safetensors lengths).</summary>
    SetInt32Little,
    /// <summary>Overwrite four bytes with a big-endian int32 (IDX, PNG).</summary>
    SetInt32Big,
    /// <summary>Cut the file here.</summary>
    Truncate,
    /// <summary>Remove up to 64 bytes.</summary>
    Delete,
    /// <summary>Insert up to 16 bytes.</summary>
    Insert,
    /// <summary>Repeat up to 64 bytes in place.</summary>
    Duplicate,
}

/// <summary>
/// One byte-level mutation: <see cref="Where"/> below 500,000 lands in the first 64 bytes (headers, where most checks
/// live), otherwise anywhere, in proportion; <see cref="Value"/> is the byte, int or length used.
/// </summary>
public readonly record struct Mutation(MutationKind Kind, int Where, int Value)
{
    /// <summary>Integers that sit on the edges loaders must check: zero, signs, powers of two, int limits.</summary>
    public static readonly int[] Interesting =
        [0, 1, -1, 2, 3, 7, 8, 255, 256, 16384, 46341, 65535, 65536, 1 << 20, 1 << 24, 1 << 28, 1 << 30, int.MaxValue, int.MinValue, -256];

    // declared before Several, which reads it while the type initialises
    static Gen<Mutation> One { get; } =
        from kind in Gen.Elements(Enum.GetValues<MutationKind>())
        from at in Gen.Choose(0, 999_999)
        from value in Gen.Frequency((3, Gen.Elements(Interesting)), (2, Gen.Choose(-1_000_000_000, 1_000_000_000)), (2, Gen.Choose(0, 255)))
        select new Mutation(kind, at, value);

    /// <summary>One to four mutations, from FsCheck generators (sampled with a fixed seed by the suite).</summary>
    public static Gen<Mutation[]> Several { get; } =
        Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(One, n));

    /// <summary>A mutated copy of <paramref name="bytes"/>.</summary>
    public static byte[] Apply(byte[] bytes, IEnumerable<Mutation> mutations)
    {
        var b = new List<byte>(bytes);
        foreach (var m in mutations) m.ApplyTo(b);
        return b.ToArray();
    }

    void ApplyTo(List<byte> b)
    {
        if (b.Count == 0) { b.Add((byte)Value); return; }
        int at = Where < 500_000 ? Where % Math.Min(b.Count, 64) : (int)((Where - 500_000L) * b.Count / 500_000);
        int length = 1 + (int)((uint)Value % 64), value = Value;
        switch (Kind)
        {
            case MutationKind.FlipBit: b[at] ^= (byte)(1 << (int)((uint)Value % 8)); break;
            case MutationKind.SetByte: b[at] = (byte)Value; break;
            case MutationKind.SetInt32Little or MutationKind.SetInt32Big:
                Span<byte> word = stackalloc byte[4];
                if (Kind == MutationKind.SetInt32Little) BinaryPrimitives.WriteInt32LittleEndian(word, Value);
                else BinaryPrimitives.WriteInt32BigEndian(word, Value);
                for (int i = 0; i < 4 && at + i < b.Count; i++) b[at + i] = word[i];
                break;
            case MutationKind.Truncate: b.RemoveRange(at, b.Count - at); break;
            case MutationKind.Delete: b.RemoveRange(at, Math.Min(length, b.Count - at)); break;
            case MutationKind.Insert: b.InsertRange(at, Enumerable.Range(0, length % 16 + 1).Select(i => (byte)(value >> (i % 4 * 8)))); break;
            case MutationKind.Duplicate: b.InsertRange(at, b.GetRange(at, Math.Min(length, b.Count - at))); break;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind}@{Where}={Value}";
}
