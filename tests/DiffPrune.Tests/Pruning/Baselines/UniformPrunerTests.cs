using DiffPrune.Models.Vision;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning.Baselines;
using DiffPrune.Tensors;

namespace DiffPrune.Tests.Pruning.Baselines;

public class UniformPrunerTests
{
    static int[] Grid(int[] rows, int[] cols, int width) => rows.SelectMany(r => cols.Select(c => r * width + c)).ToArray();

    [Fact]
    public void KeepsAnEvenLatticeOfTheGrid()
    {
        Assert.Equal(Grid([1, 4, 7, 10], [1, 4, 7, 10], 12), new UniformPruner(16, 12).Lattice(144));
        Assert.Equal(Grid([1, 3, 5, 7, 9, 11], [1, 3, 5, 7, 9, 11], 12), new UniformPruner(36, 12).Lattice(144));
        Assert.Equal(Enumerable.Range(0, 144), new UniformPruner(144, 12).Lattice(144));
        Assert.Equal([78], new UniformPruner(1, 12).Lattice(144)); // row 6, column 6: the centre
    }

    [Fact]
    public void SplitsUnevenBudgetsOverRowsAndHandlesNonSquareGrids()
    {
        // 4 rows × 5 columns, K = 4: rows 1 and 3, columns 1 and 3
        Assert.Equal([6, 8, 16, 18], new UniformPruner(4, 5).Lattice(20));
        var seventeen = new UniformPruner(17, 12).Lattice(144);
        Assert.Equal(17, seventeen.Distinct().Count());
        var perRow = seventeen.GroupBy(i => i / 12).Select(g => g.Count()).ToArray();
        Assert.True(perRow.Max() - perRow.Min() <= 1, $"rows hold {string.Join(",", perRow)} tokens");
    }

    [Fact]
    public void EveryImageGetsTheSameLatticeInOriginalOrder()
    {
        var tokens = new VisualTokens(Tensor.Randn(new Generator(1), [3, 16, 4]), Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 16).ToArray()).ToArray(), new VisionOutput([], null));
        var kept = new UniformPruner(4, 4).Prune(tokens);
        Assert.All(kept.PatchIndex, p => Assert.Equal([5, 7, 13, 15], p));
        Assert.Equal(tokens.Features[2, 13, 1], kept.Features[2, 2, 1]);
    }

    [Fact]
    public void BadBudgetsAndGridsAreNamed()
    {
        Assert.Contains("K = 17, N = 16", Assert.Throws<ArgumentOutOfRangeException>(() => new UniformPruner(17, 4).Lattice(16)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new UniformPruner(0, 4));
        Assert.Contains("rows of 5", Assert.Throws<ArgumentException>(() => new UniformPruner(3, 5).Lattice(16)).Message);
    }
}
