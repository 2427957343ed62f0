using DiffPrune.Tensors;

namespace DiffPrune.Models.Llama;

/// <summary>How the next token is chosen.</summary>
/// <param name="Temperature">0 = greedy (argmax); otherwise logits are divided by it and sampled.</param>
/// <param name="TopK">Sample only among the K most likely tokens (0 = all).</param>
/// <param name="Seed">Seed of the sampling generator.</param>
public sealed record SamplingOptions(float Temperature = 0f, int TopK = 0, ulong Seed = 0)
{
    /// <summary>Argmax decoding.</summary>
    public static SamplingOptions Greedy { get; } = new();
}

/// <summary>Autoregressive decoding with a KV cache, or by full recomputation (the reference the cache is tested against).</summary>
public static class Generation
{
    /// <summary>
    /// Runs <paramref name="prompt"/> (a prefill input without cache), then generates up to
    /// <paramref name="maxNewTokens"/> tokens per sample, each at one past the largest position id so far (in every plane
    /// with M-RoPE: <see cref="PositionPlanes.Next"/>). A sample stops after <paramref name="eosId"/>; the
    /// returned lists hold the generated ids (EOS included when produced). A prompt that continues a prefix already in
    /// <paramref name="cache"/> (e.g. <see cref="KvCache.Gather"/> of an image prefilled once) runs on it.
    /// </summary>
    public static int[][] Generate(LlamaForCausalLM lm, DecoderInput prompt, int maxNewTokens, SamplingOptions sampling, int? eosId = null,
        bool useCache = true, KvCache? cache = null)
    {
        using var _ = Autograd.NoGrad();
        int b = prompt.Embeds.Shape[0];
        if (cache != null && !useCache) throw new ArgumentException("a prompt that continues a KV cache cannot be decoded by recomputation");
        var gen = new Generator(sampling.Seed);
        var outputs = Enumerable.Range(0, b).Select(_ => new List<int>()).ToArray();
        var done = new bool[b];
        using var created = cache == null && useCache ? new KvCache(lm.Config.NumLayers, b) : null;
        cache ??= created;
        // each forward's buffers go back to the pool when its token is picked (the cache holds what it keeps)
        int[] next;
        using (TensorScope.Begin())
            next = Pick(lm.Forward(prompt with { Cache = cache, LastLogitsOnly = true }).Logits, sampling, gen);

        // For recomputation: the sequence so far (embeddings, positions, validity), and each sample's next position.
        var embeds = prompt.Embeds;
        var positions = prompt.Positions;
        var valid = prompt.Valid ?? Enumerable.Repeat(true, b * prompt.Embeds.Shape[1]).ToArray();
        var nextPos = cache?.NextPosition ?? PositionPlanes.Next(positions, valid, b);
        for (int step = 0; step < maxNewTokens; step++)
        {
            for (int i = 0; i < b; i++)
            {
                if (done[i]) continue;
                outputs[i].Add(next[i]);
                if (next[i] == eosId) done[i] = true;
            }
            if (step == maxNewTokens - 1 || done.All(d => d)) break;
            var tokEmbeds = lm.Embed(new IntTensor(next, b, 1));
            var tokPos = (int[])nextPos.Clone();
            var tokValid = Enumerable.Repeat(true, b).ToArray();
            if (cache == null)
            {
                embeds = Tensor.Cat([embeds, tokEmbeds], 1);
                positions = PositionPlanes.Append(positions, valid.Length / b, tokPos);
                valid = Interleave(valid, tokValid, b);
                for (int i = 0; i < b; i++) nextPos[i]++;
            }
            var input = cache != null
                ? new DecoderInput(tokEmbeds, tokPos, tokValid) { Cache = cache, LastLogitsOnly = true }
                : prompt with { Embeds = embeds, Positions = positions, Valid = valid, LastLogitsOnly = true };
            using (TensorScope.Begin())
                next = Pick(lm.Forward(input).Logits, sampling, gen);
        }
        return outputs.Select(o => o.ToArray()).ToArray();
    }

    /// <summary>Appends one entry per sample to a (B·T) row-major array.</summary>
    static T[] Interleave<T>(T[] seq, T[] add, int b)
    {
        int t = seq.Length / b;
        var r = new T[b * (t + 1)];
        for (int i = 0; i < b; i++)
        {
            Array.Copy(seq, i * t, r, i * (t + 1), t);
            r[i * (t + 1) + t] = add[i];
        }
        return r;
    }

    /// <summary>Chooses one token per sample from the last-position logits (B, 1, V).</summary>
    public static int[] Pick(Tensor logits, SamplingOptions sampling, Generator gen)
    {
        int b = logits.Shape[0], v = logits.Shape[^1];
        var ids = new int[b];
        for (int i = 0; i < b; i++)
        {
            var row = logits.Data.Slice((i + 1) * logits.Numel / b - v, v);
            ids[i] = sampling.Temperature <= 0 ? ArgMax(row) : Sample(row, sampling, gen);
        }
        return ids;
    }

    static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }

    static int Sample(ReadOnlySpan<float> row, SamplingOptions s, Generator gen)
    {
        var order = Enumerable.Range(0, row.Length).ToArray();
        var values = row.ToArray();
        int k = s.TopK > 0 ? Math.Min(s.TopK, row.Length) : row.Length;
        if (k < row.Length) Array.Sort(values.Select(x => -x).ToArray(), order);
        double max = order.Take(k).Max(j => values[j]);
        var p = order.Take(k).Select(j => Math.Exp((values[j] - max) / s.Temperature)).ToArray();
        double u = gen.NextDouble() * p.Sum();
        for (int j = 0; j < k; j++)
        {
            u -= p[j];
            if (u <= 0) return order[j];
        }
        return order[k - 1];
    }
}
