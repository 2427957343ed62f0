namespace DiffPrune.Models.Llama;

/// <summary>
/// Position ids of a decoder input, as one flat array: one plane of B·T ids (row-major, sample by sample) for ordinary
/// RoPE, or for M-RoPE (<see cref="LlamaConfig.MropeSection"/>) three such planes one after another, temporal, height
/// and width (3·B·T), as <see cref="Tensors.F.MultimodalRope"/> takes them. One plane is M-RoPE with equal planes (text),
/// so an M-RoPE model takes either. Every operation that moves, drops or extends tokens does so here, on every plane.
/// </summary>
public static class PositionPlanes
{
    /// <summary>Planes of an M-RoPE input: temporal, height, width.</summary>
    public const int Multimodal = 3;

    /// <summary>Number of planes (1 or 3) of <paramref name="positions"/> for <paramref name="tokens"/> = B·T tokens.</summary>
    /// <exception cref="ArgumentException">The length is neither B·T nor 3·B·T, or three planes where <paramref name="multimodal"/> is false.</exception>
    public static int Count(int[] positions, int tokens, bool multimodal)
    {
        if (positions.Length == tokens) return 1;
        if (positions.Length != Multimodal * tokens)
            throw new ArgumentException($"decoder: {positions.Length} position ids for {tokens} tokens (give one per token, or three planes of them, {Multimodal * tokens}, for M-RoPE)");
        if (!multimodal)
            throw new ArgumentException($"decoder: {positions.Length} position ids are three planes (M-RoPE) for {tokens} tokens, but the model has no mrope_section");
        return Multimodal;
    }

    /// <summary>The ids of sample <paramref name="sample"/>'s <paramref name="tokens"/> tokens in every plane (planes·T), of a batch of <paramref name="batch"/>.</summary>
    public static int[] OfSample(int[] positions, int batch, int tokens, int sample)
    {
        int planes = Planes(positions, batch, tokens);
        var ids = new int[planes * tokens];
        for (int p = 0; p < planes; p++) Array.Copy(positions, (p * batch + sample) * tokens, ids, p * tokens, tokens);
        return ids;
    }

    /// <summary>Per sample b, the ids of its tokens at <paramref name="keep"/>[b] (indices into its <paramref name="tokens"/> tokens; as many for every sample), in every plane.</summary>
    public static int[] Keep(int[] positions, int tokens, int[][] keep)
    {
        int b = keep.Length, k = b == 0 ? 0 : keep[0].Length, planes = Planes(positions, b, tokens);
        var kept = new int[planes * b * k];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < b; i++)
                for (int j = 0; j < k; j++)
                    kept[(p * b + i) * k + j] = positions[(p * b + i) * tokens + keep[i][j]];
        return kept;
    }

    /// <summary>
    /// Per sample, one past the largest id of its valid tokens (<paramref name="valid"/>, B·T) over every plane, 0 when it has
    /// none: the id the next text token takes in all planes (Qwen2-VL's convention: text after an image continues past the
    /// image's largest temporal, row or column id).
    /// </summary>
    public static int[] Next(int[] positions, bool[] valid, int batch)
    {
        int t = batch == 0 ? 0 : valid.Length / batch, planes = Planes(positions, batch, t);
        var next = new int[batch];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < batch; i++)
                for (int j = 0; j < t; j++)
                    if (valid[i * t + j]) next[i] = Math.Max(next[i], positions[(p * batch + i) * t + j] + 1);
        return next;
    }

    /// <summary><paramref name="positions"/> of B samples of <paramref name="tokens"/> tokens with one token appended to each sample b, at id <paramref name="next"/>[b] in every plane.</summary>
    public static int[] Append(int[] positions, int tokens, int[] next)
    {
        int b = next.Length, planes = Planes(positions, b, tokens);
        var appended = new int[planes * b * (tokens + 1)];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < b; i++)
            {
                int row = (p * b + i) * (tokens + 1);
                Array.Copy(positions, (p * b + i) * tokens, appended, row, tokens);
                appended[row + tokens] = next[i];
            }
        return appended;
    }

    /// <summary>Planes of positions for <paramref name="batch"/> samples of <paramref name="tokens"/> tokens; an empty input has one (its next ids agree in every plane).</summary>
    static int Planes(int[] positions, int batch, int tokens) => batch * tokens == 0 ? 1 : positions.Length / (batch * tokens);
}
