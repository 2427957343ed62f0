using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Tensors.Tests.Distributed;

/// <summary>Which launcher started the process, read from its environment before MPI is loaded.</summary>
public class MpiLaunchTests
{
    static MpiLaunch Read(params (string Name, string Value)[] variables) =>
        MpiLaunch.Read(name => variables.FirstOrDefault(v => v.Name == name).Value);

    [Fact]
    public void WithoutALauncherTheWorldIsOneProcess()
    {
        var launch = Read();
        Assert.Equal(new MpiLaunch(0, 1, false), launch);
        Assert.False(launch.IsParallel);
    }

    [Fact]
    public void HydraAndOpenMpiVariablesGiveRankAndSize()
    {
        Assert.Equal(new MpiLaunch(1, 3, false), Read(("PMI_RANK", "1"), ("PMI_SIZE", "3")));
        Assert.Equal(new MpiLaunch(2, 4, true), Read(("OMPI_COMM_WORLD_RANK", "2"), ("OMPI_COMM_WORLD_SIZE", "4")));
        Assert.True(Read(("PMI_RANK", "0"), ("PMI_SIZE", "2")).IsParallel);
        Assert.False(Read(("PMI_RANK", "0"), ("PMI_SIZE", "1")).IsParallel); // mpiexec -n 1: no MPI needed
    }

    [Fact]
    public void BadLauncherVariablesAreNamed()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Read(("PMI_RANK", "x"), ("PMI_SIZE", "2")));
        Assert.Contains("PMI_RANK='x'", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => Read(("PMI_SIZE", "2")));
        Assert.Contains("PMI_RANK is not set", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => Read(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "0")));
        Assert.Contains("OMPI_COMM_WORLD_SIZE='0'", e.Message);
    }
}
