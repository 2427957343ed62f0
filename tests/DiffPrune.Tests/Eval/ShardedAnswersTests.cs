using DiffPrune.Eval;
using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Tests.Eval;

/// <summary>Merging answers computed in shares (one process here; two ranks in the CLI's mpiexec test).</summary>
public class ShardedAnswersTests
{
    [Fact]
    public void AWorldOfOneKeepsItsAnswersAndRefusesAnUnansweredQuery()
    {
        int[][] answers = [[1, 2], [], [3]];
        Assert.Equal(answers, ShardedAnswers.Gather(Communicator.Single, answers));
        var e = Assert.Throws<InvalidOperationException>(() => ShardedAnswers.Gather(Communicator.Single, [[1], null]));
        Assert.Equal("query 1 of 2 was answered by no rank", e.Message);
    }
}
