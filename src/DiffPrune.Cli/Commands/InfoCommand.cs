using System.CommandLine;
using System.Numerics;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Blas;
using DiffPrune.Tensors.Distributed;

namespace DiffPrune.Cli.Commands;

/// <summary><c>diffprune info</c>: version, GEMM backend, SIMD width, threads and MPI world.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Print the version, GEMM backend, SIMD width, thread count and MPI world.");
        cmd.SetAction(_ =>
        {
            if (Communicator.World.IsRoot)
                foreach (var (key, value) in Collect()) Console.WriteLine($"{key,-14} {value}");
            return 0;
        });
        return cmd;
    }

    public static IEnumerable<(string, string)> Collect()
    {
        var version = typeof(InfoCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        yield return ("version", version.Split('+')[0]);
        yield return ("runtime", $".NET {Environment.Version} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        string why = GemmInfo.Calibration ?? (GemmInfo.OpenBlasAvailable ? "forced by DIFFPRUNE_BLAS" : "OpenBLAS not found: apt-get install libopenblas0-pthread");
        yield return ("gemm", Gemm.Backend == GemmBackend.OpenBlas
            ? $"OpenBLAS ({GemmInfo.OpenBlasLibrary}; {why})"
            : $"managed {ManagedGemm.KernelName} kernel ({why})");
        yield return ("simd", $"{Vector<float>.Count * 32}-bit vectors ({Vector<float>.Count} floats); AVX2 {Avx2.IsSupported}, FMA {Fma.IsSupported}, AVX-512 {Vector512.IsHardwareAccelerated}");
        yield return ("threads", $"{ThreadBudget.Threads} (engine loops and GEMM share them; DIFFPRUNE_THREADS sets it) of {Environment.ProcessorCount} cores");
        var world = Communicator.World;
        yield return ("mpi", world.Library is { } library
            ? $"rank {world.Rank} of {world.Size} ({library})"
            : "one process (start under mpiexec -n P for sharded evaluation)");
    }
}
