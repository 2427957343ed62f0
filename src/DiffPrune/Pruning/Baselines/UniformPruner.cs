using DiffPrune.Models.Vlm;

namespace DiffPrune.Pruning.Baselines;

/// <summary>
/// Uniform spatial subsampling before the LLM: the N tokens fill a grid of <see cref="GridWidth"/> columns (raster
/// order) and K of them are taken on an even lattice: r rows at the centres of r equal bands, the K tokens split
/// as evenly as possible over them, each row's tokens at the centres of equal column bands. A 12×12 grid at K = 16
/// keeps rows and columns 1, 4, 7, 10. Content-blind: the reference for "where" without "what".
/// </summary>
public sealed class UniformPruner : PreLlmPruner
{
    /// <summary>A pruner keeping <paramref name="keep"/> tokens of grids <paramref name="gridWidth"/> wide.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K &lt; 1 or a width &lt; 1.</exception>
    public UniformPruner(int keep, int gridWidth) : base("Uniform", keep)
    {
        if (gridWidth < 1) throw new ArgumentOutOfRangeException(nameof(gridWidth), $"grid width must be at least 1 (got {gridWidth})");
        GridWidth = gridWidth;
    }

    /// <summary>Columns of the token grid (the vision tower's patches per side).</summary>
    public int GridWidth { get; }

    /// <inheritdoc/>
    public override VisualTokens Prune(VisualTokens tokens)
    {
        var keep = Lattice(tokens.Count);
        return tokens.Select(Enumerable.Range(0, tokens.Features.Shape[0]).Select(_ => keep).ToArray());
    }

    /// <summary>The K lattice indices (ascending) in a grid of <paramref name="tokens"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">K outside 1..N.</exception>
    /// <exception cref="ArgumentException">N does not fill whole rows of the grid.</exception>
    public int[] Lattice(int tokens)
    {
        TokenBudget.Check(Keep, tokens);
        if (tokens % GridWidth != 0) throw new ArgumentException($"uniform subsampling needs whole grid rows: {tokens} tokens do not fill rows of {GridWidth}");
        int height = tokens / GridWidth;
        // as square a lattice as the grid allows: about √(K·h/w) rows, never a row with more tokens than columns
        int rows = Math.Clamp((int)Math.Round(Math.Sqrt((double)Keep * height / GridWidth)), (Keep + GridWidth - 1) / GridWidth, Math.Min(height, Keep));
        var keep = new List<int>(Keep);
        for (int r = 0; r < rows; r++)
        {
            int y = BandCentre(r, rows, height);
            int count = (int)((long)(r + 1) * Keep / rows - (long)r * Keep / rows);
            for (int c = 0; c < count; c++) keep.Add(y * GridWidth + BandCentre(c, count, GridWidth));
        }
        return keep.ToArray();
    }

    /// <summary>Centre of band i when <paramref name="size"/> cells are cut into <paramref name="bands"/> equal bands.</summary>
    static int BandCentre(int i, int bands, int size) => (int)((2L * i + 1) * size / (2L * bands));
}
