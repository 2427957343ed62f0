using DiffPrune.Models.Llama;
using DiffPrune.Tensors;

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
    /// <exception cref="InvalidDataException">Bad header or a file too short for the shapes it declares (names the file).</exception>
    public static LlamaForCausalLM Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        if (stream.Length < 28) throw new InvalidDataException($"{path}: too short for a llama2.c header (28 bytes)");
        int dim = reader.ReadInt32(), hidden = reader.ReadInt32(), layers = reader.ReadInt32(), heads = reader.ReadInt32(),
            kvHeads = reader.ReadInt32(), vocab = reader.ReadInt32(), seqLen = reader.ReadInt32();
        bool tied = vocab > 0;
        vocab = Math.Abs(vocab);
        LlamaConfig cfg;
        try
        {
            cfg = new LlamaConfig
            {
                VocabSize = vocab,
                HiddenSize = dim,
                IntermediateSize = hidden,
                NumLayers = layers,
                NumHeads = heads,
                NumKvHeads = kvHeads,
                MaxPositionEmbeddings = seqLen,
                TieWordEmbeddings = tied,
                RmsNormEps = 1e-5f,
            }.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: header (dim {dim}, hidden {hidden}, layers {layers}, heads {heads}, kv heads {kvHeads}, vocab {vocab}) is not a valid llama2.c model: {e.Message}");
        }
        long needed = 28 + 4 * cfg.ParameterCount(); // tied: the tensors are exactly the parameters; untied adds RoPE tables too
        if (stream.Length < needed) throw new InvalidDataException($"{path}: {stream.Length} bytes, but the header's shapes need at least {needed}");

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
        return model;
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
