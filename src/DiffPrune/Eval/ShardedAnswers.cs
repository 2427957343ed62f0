using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Eval;

/// <summary>Completes answers computed in shares across ranks: each rank sends the ones it has, every rank gets all.</summary>
internal static class ShardedAnswers
{
    /// <summary>
    /// <paramref name="mine"/> (token ids per query, null where another rank answered) merged with every other rank's.
    /// </summary>
    /// <exception cref="InvalidOperationException">A query no rank answered, or two ranks answering one query.</exception>
    public static int[][] Gather(Communicator world, IReadOnlyList<int[]?> mine)
    {
        var all = new int[]?[mine.Count];
        foreach (var part in world.AllGather(Encode(mine)))
            foreach (var (query, ids) in Decode(part))
            {
                if (all[query] != null) throw new InvalidOperationException($"query {query} was answered by two ranks");
                all[query] = ids;
            }
        int missing = Array.IndexOf(all, null);
        if (missing >= 0) throw new InvalidOperationException($"query {missing} of {all.Length} was answered by no rank");
        return all!;
    }

    /// <summary>(query index, length, ids…) for each answered query, as bytes.</summary>
    static byte[] Encode(IReadOnlyList<int[]?> answers)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
            for (int q = 0; q < answers.Count; q++)
            {
                if (answers[q] is not { } ids) continue;
                writer.Write(q);
                writer.Write(ids.Length);
                foreach (int id in ids) writer.Write(id);
            }
        return stream.ToArray();
    }

    static IEnumerable<(int Query, int[] Ids)> Decode(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        while (reader.BaseStream.Position < bytes.Length)
        {
            int query = reader.ReadInt32();
            var ids = new int[reader.ReadInt32()];
            for (int i = 0; i < ids.Length; i++) ids[i] = reader.ReadInt32();
            yield return (query, ids);
        }
    }
}
