using DiffPrune.Tensors;

namespace DiffPrune.Models.Llama;

/// <summary>
/// Keys and values of past tokens, per layer: K, V (B, Hkv, S, D), with per-key validity (padding) and the
/// next position id per sample. Layers may hold different numbers of keys after in-LLM pruning drops tokens
/// from some layer on. The keys and values it copies (<see cref="Gather"/>, each decoding step's append) live in the
/// engine's pooled buffers, each handed back as soon as the next step replaces it and the rest on <see cref="Dispose"/>:
/// decoding then reuses memory instead of faulting in fresh pages for every step of every layer.
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly LayerEntry[] _layers;
    readonly TensorHolder _buffers = new();

    /// <summary>One layer's cache.</summary>
    public sealed class LayerEntry
    {
        /// <summary>(B, Hkv, S, D) or null before the first forward.</summary>
        public Tensor? Keys { get; internal set; }
        /// <summary>(B, Hkv, S, D) or null before the first forward.</summary>
        public Tensor? Values { get; internal set; }
        /// <summary>B·S flags: false for padding keys.</summary>
        public bool[] Valid { get; internal set; } = [];
        /// <summary>Number of cached keys S.</summary>
        public int Length => Keys?.Shape[2] ?? 0;
    }

    /// <summary>Creates an empty cache for <paramref name="layers"/> layers and batch size <paramref name="batch"/>.</summary>
    public KvCache(int layers, int batch)
    {
        _layers = Enumerable.Range(0, layers).Select(_ => new LayerEntry()).ToArray();
        Batch = batch;
        NextPosition = new int[batch];
    }

    /// <summary>Batch size.</summary>
    public int Batch { get; }

    /// <summary>Position id the next token of each sample gets (with M-RoPE, in every plane: one past the largest id of any plane).</summary>
    public int[] NextPosition { get; }

    /// <summary>Layer <paramref name="i"/>'s entry.</summary>
    public LayerEntry this[int i] => _layers[i];

    /// <summary>Number of layers.</summary>
    public int Layers => _layers.Length;

    /// <summary>Floats held by all layers (keys + values), for memory accounting.</summary>
    public long FloatCount => _layers.Sum(l => (long)(l.Keys?.Numel ?? 0) + (l.Values?.Numel ?? 0));

    /// <summary>
    /// A cache whose sample i is sample <paramref name="rows"/>[i] of this one (keys, values, validity and next
    /// position copied): a prefix computed once, e.g. an image, continued by several prompts.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A row outside 0..Batch−1.</exception>
    public KvCache Gather(int[] rows)
    {
        foreach (int r in rows)
            if (r < 0 || r >= Batch) throw new ArgumentOutOfRangeException(nameof(rows), $"row {r} of a KV cache of batch {Batch}");
        var copy = new KvCache(Layers, rows.Length);
        for (int l = 0; l < Layers; l++)
        {
            var e = _layers[l];
            if (e.Keys == null) continue;
            int s = e.Length;
            var valid = new bool[rows.Length * s];
            for (int i = 0; i < rows.Length; i++) Array.Copy(e.Valid, rows[i] * s, valid, i * s, s);
            copy._layers[l].Keys = copy._buffers.Hold(() => e.Keys.IndexSelect(0, rows));
            copy._layers[l].Values = copy._buffers.Hold(() => e.Values!.IndexSelect(0, rows));
            copy._layers[l].Valid = valid;
        }
        for (int i = 0; i < rows.Length; i++) copy.NextPosition[i] = NextPosition[rows[i]];
        return copy;
    }

    /// <summary>Appends this step's keys/values to layer <paramref name="layer"/> and returns the full K, V and validity.</summary>
    internal (Tensor K, Tensor V, bool[] Valid) Append(int layer, Tensor k, Tensor v, bool[] valid)
    {
        var e = _layers[layer];
        if (e.Keys == null)
        {
            e.Keys = _buffers.Adopt(k).Detach(); e.Values = _buffers.Adopt(v).Detach(); e.Valid = valid;
        }
        else
        {
            int b = k.Shape[0], s0 = e.Length, t = k.Shape[2];
            var (oldKeys, oldValues) = (e.Keys, e.Values!);
            e.Keys = _buffers.Hold(() => Tensor.Cat([oldKeys, k.Detach()], 2));
            e.Values = _buffers.Hold(() => Tensor.Cat([oldValues, v.Detach()], 2));
            _buffers.Release(oldKeys);
            _buffers.Release(oldValues);
            var merged = new bool[b * (s0 + t)];
            for (int i = 0; i < b; i++)
            {
                Array.Copy(e.Valid, i * s0, merged, i * (s0 + t), s0);
                Array.Copy(valid, i * t, merged, i * (s0 + t) + s0, t);
            }
            e.Valid = merged;
        }
        return (e.Keys, e.Values!, e.Valid);
    }

    /// <summary>Hands the pooled keys and values back; the cache must not be used afterwards.</summary>
    public void Dispose() => _buffers.Dispose();
}
