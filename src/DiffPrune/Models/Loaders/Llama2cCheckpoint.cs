using DiffPrune.Models.Llama;
using DiffPrune.Tensors;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Models.Loaders;

/// <summary>
/// Reads llama2.c checkpoints (legacy layout: 7 int32 header fields, then float32 tensors; a positive
/// vocab_size means the head is tied to the embedding) into a <see cref="LlamaForCausalLM"/> with HF tensor layout.
/// llama2.c's RoPE rotates adjacent channel pairs; the HF layout rotates halves, so q/k rows are permuted the way
/// HF's conversion script does, which makes both compute the same function.
/// </summary>
public static class Llama2cCheckpoint
{
    /// <summary>Loads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">
    /// A folder, pipe or empty file; a bad header; a file too short for the shapes it declares; non-finite weights (names
    /// the file, and the tensor).
    /// </exception>
    /// <exception cref="ResourceLimitException">The declared model needs more memory than the machine has.</exception>
    public static LlamaForCausalLM Load(string path)
    {
        InputFile.CheckRegular(path, "llama2.c checkpoint (.bin)");
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        if (stream.Length < 28) throw new InvalidDataException($"{path}: too short for a llama2.c header (28 bytes)");
        int dim = reader.ReadInt32(), hidden = reader.ReadInt32(), layers = reader.ReadInt32(), heads = reader.ReadInt32(),
            kvHeads = reader.ReadInt32(), vocab = reader.ReadInt32(), seqLen = reader.ReadInt32();
        var cfg = Config(path, dim, hidden, layers, heads, kvHeads, vocab, seqLen);
        long parameters = ParameterCount(path, cfg);
        // tied: the tensors are exactly the parameters; untied adds the RoPE tables and the classifier (counted in parameters)
        long needed = 28 + 4 * parameters;
        if (stream.Length < needed) throw new InvalidDataException($"{path}: {stream.Length} bytes, but the header's shapes need at least {needed}");
        MemoryBudget.Require(4 * parameters, $"{path} ({parameters:N0} parameters)", "use a smaller model or a machine with more memory");
        (vocab, dim, hidden, layers, heads, kvHeads, seqLen) =
            (cfg.VocabSize, cfg.HiddenSize, cfg.IntermediateSize, cfg.NumLayers, cfg.NumHeads, cfg.NumKvHeads, cfg.MaxPositionEmbeddings);
        bool tied = cfg.TieWordEmbeddings;

        var model = new LlamaForCausalLM(cfg, new Generator(0));
        var w = model.StateDict();
        int kvDim = cfg.NumKvHeads * cfg.HeadDim;
        float[] Read(int count)
        {
            var a = new float[count];
            var bytes = reader.ReadBytes(count * 4);
            Buffer.BlockCopy(bytes, 0, a, 0, bytes.Length);
            return a;
        }
        void PerLayer(string suffix, int rows, int cols, bool ropePermute = false, int nHeads = 0)
        {
            for (int l = 0; l < layers; l++)
            {
                var data = Read(rows * cols);
                if (ropePermute) data = InterleavedToHalf(data, nHeads, rows, cols);
                data.CopyTo(w[$"model.layers.{l}.{suffix}"].Data);
            }
        }
        Read(vocab * dim).CopyTo(w["model.embed_tokens.weight"].Data);
        PerLayer("input_layernorm.weight", 1, dim);
        PerLayer("self_attn.q_proj.weight", dim, dim, ropePermute: true, nHeads: heads);
        PerLayer("self_attn.k_proj.weight", kvDim, dim, ropePermute: true, nHeads: kvHeads);
        PerLayer("self_attn.v_proj.weight", kvDim, dim);
        PerLayer("self_attn.o_proj.weight", dim, dim);
        PerLayer("post_attention_layernorm.weight", 1, dim);
        PerLayer("mlp.gate_proj.weight", hidden, dim);
        PerLayer("mlp.down_proj.weight", dim, hidden);
        PerLayer("mlp.up_proj.weight", hidden, dim);
        Read(dim).CopyTo(w["model.norm.weight"].Data);
        if (!tied)
        {
            // legacy layout: freq_cis_real and freq_cis_imag (seq_len · head_dim/2 each) precede the classifier
            Read(seqLen * cfg.HeadDim);
            if (stream.Length - stream.Position < 4L * vocab * dim) throw new InvalidDataException($"{path}: missing the untied classifier weights");
            Read(vocab * dim).CopyTo(w["lm_head.weight"].Data);
        }
        foreach (var (name, t) in w) FiniteWeights.Check(t.Data, path, name);
        return model;
    }

    static LlamaConfig Config(string path, int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen)
    {
        string header = $"header (dim {dim}, hidden {hidden}, layers {layers}, heads {heads}, kv heads {kvHeads}, vocab {vocab}, seq_len {seqLen})";
        // the sign of vocab_size says whether the head is tied; int.MinValue has no positive counterpart
        if (vocab == int.MinValue || vocab == 0 || layers < 1)
            throw new InvalidDataException($"{path}: {header} is not a valid llama2.c model: vocab_size and n_layers must be non-zero");
        try
        {
            return new LlamaConfig
            {
                VocabSize = Math.Abs(vocab),
                HiddenSize = dim,
                IntermediateSize = hidden,
                NumLayers = layers,
                NumHeads = heads,
                NumKvHeads = kvHeads,
                MaxPositionEmbeddings = seqLen,
                TieWordEmbeddings = vocab > 0,
                RmsNormEps = 1e-5f,
            }.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {header} is not a valid llama2.c model: {e.Message}");
        }
    }

    /// <summary>Parameters the file must hold, plus the untied layout's RoPE tables (seq_len · head_dim).</summary>
    static long ParameterCount(string path, LlamaConfig cfg)
    {
        try
        {
            long count = checked(cfg.ParameterCount() + (cfg.TieWordEmbeddings ? 0 : (long)cfg.MaxPositionEmbeddings * cfg.HeadDim));
            return count <= (long.MaxValue - 28) / 4 ? count : throw new OverflowException();
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{path}: the header's shapes (dim {cfg.HiddenSize}, {cfg.NumLayers} layers, vocab {cfg.VocabSize}) count more parameters than any file holds: not a llama2.c model");
        }
    }

    /// <summary>
    /// Reorders the rows of a q/k projection (rows = heads·headDim) so that rotating halves of each head equals
    /// rotating adjacent pairs of the original: new row (h, i·… ) as HF's <c>permute</c>:
    /// w.view(heads, headDim/2, 2, cols).transpose(1, 2).
    /// </summary>
    public static float[] InterleavedToHalf(float[] w, int heads, int rows, int cols)
    {
        int hd = rows / heads, half = hd / 2;
        var r = new float[w.Length];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                {
                    int src = h * hd + 2 * i + j;     // pair i, element j
                    int dst = h * hd + j * half + i;  // half j, index i
                    Array.Copy(w, src * cols, r, dst * cols, cols);
                }
        return r;
    }
}
