using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Tensors.Tests.Distributed;

/// <summary>
/// The world of one process (what every command gets without mpiexec) and, under mpiexec, the collectives on two ranks
/// (DiffPrune.MpiChecks compares each result with what it must be on every rank).
/// </summary>
public class CommunicatorTests
{
    [Fact]
    public void WithoutMpiexecTheWorldIsOneProcessWithoutMpi()
    {
        var world = Communicator.World; // the test host is not started by mpiexec
        Assert.Same(Communicator.Single, world);
        Assert.Equal((0, 1, true), (world.Rank, world.Size, world.IsRoot));
        Assert.Null(world.Library);
    }

    [Fact]
    public void CollectivesOfOneProcessKeepItsData()
    {
        var world = Communicator.Single;
        var data = new[] { 1f, 2f, 3f };
        world.AllreduceSum(data);
        world.Broadcast<float>(data);
        world.Barrier();
        Assert.Equal([1f, 2f, 3f], data);
        Assert.Equal(new[] { new byte[] { 7, 8 } }, world.Gather(new byte[] { 7, 8 }));
        Assert.Equal(new[] { new byte[] { 7 } }, world.AllGather(new byte[] { 7 }));
        Assert.Equal(new[] { 1.5f, 2f }, world.Gather(new[] { 1.5f, 2f }));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => world.Broadcast<float>(data, root: 1));
        Assert.Contains("root rank 1 is outside 0..0", e.Message);
    }

    [Fact]
    public void BucketsOfOneProcessLeaveTensorsAndCallNothing()
    {
        var t = Tensor.FromArray([1f, 2f], 2);
        var buckets = new AllreduceBuckets(Communicator.Single, bucketBytes: 4);
        buckets.Average([t]);
        Assert.Equal([1f, 2f], t.ToArray());
        Assert.Equal(0, buckets.LastCalls);
        Assert.Contains("at least 4", Assert.Throws<ArgumentOutOfRangeException>(() => new AllreduceBuckets(Communicator.Single, 3)).Message);
    }

    [Fact]
    public void SharesOfWorkPartitionTheItemsInOrder()
    {
        for (int ranks = 1; ranks <= 4; ranks++)
        {
            var owners = Enumerable.Range(0, 11).Select(i => Enumerable.Range(0, ranks).Single(r => new WorkShare(r, ranks).Owns(i))).ToArray();
            Assert.Equal(Enumerable.Range(0, 11).Select(i => i % ranks), owners);
        }
        Assert.True(WorkShare.All.Owns(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkShare(2, 2).Owns(0));
    }

    [Fact]
    public void AMissingLibraryIsNamed()
    {
        Assert.Null(MpiLibrary.TryLoad(["libdiffprune-no-such-mpi.so"], out var error));
        Assert.Equal("no MPI library found (tried libdiffprune-no-such-mpi.so)", error);
    }

    [MpiFact]
    public void CollectivesAgreeOnTwoRanks()
    {
        var checks = Path.Combine(AppContext.BaseDirectory, "DiffPrune.MpiChecks.dll");
        var (exit, output, error) = MpiExec.Run(2, checks, [], TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        foreach (var check in new[] { "world", "allreduce sum, chunked", "allreduce sum of doubles", "broadcast", "gatherv of bytes", "gather of floats", "allgatherv", "bucketed average", "bucket calls" })
            Assert.Contains($"ok {check}\n", output);
        Assert.DoesNotContain("FAIL", output);
    }
}
