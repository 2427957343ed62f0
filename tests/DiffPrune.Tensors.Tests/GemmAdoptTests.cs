using DiffPrune.Tensors.Blas;
using DiffPrune.Tensors.IO;
using DiffPrune.Tensors.Nn;

namespace DiffPrune.Tensors.Tests;

/// <summary>
/// A checkpoint records the GEMM backend its run computed with, and a resume takes it again when the backend here was
/// chosen by timing, so a continued run is bit-identical to an uninterrupted one even when this start's timing prefers
/// the other backend. Runs alone (it changes the process-wide backend and DIFFPRUNE_BLAS).
/// </summary>
[Collection(GemmCountingCollection.Name)]
public class GemmAdoptTests
{
    static readonly string ManagedTag = "managed " + ManagedGemm.KernelName;

    /// <summary>Runs <paramref name="body"/> with DIFFPRUNE_BLAS set to <paramref name="blas"/> (null: unset), restoring it and the backend.</summary>
    static void With(string? blas, Action body)
    {
        var backend = Gemm.Backend;
        var saved = Environment.GetEnvironmentVariable("DIFFPRUNE_BLAS");
        try
        {
            Environment.SetEnvironmentVariable("DIFFPRUNE_BLAS", blas);
            body();
        }
        finally
        {
            Environment.SetEnvironmentVariable("DIFFPRUNE_BLAS", saved);
            Gemm.Use(backend);
        }
    }

    [Fact]
    public void ACheckpointRecordsTheBackendAndAResumeTakesItAgain()
    {
        var dir = Directory.CreateTempSubdirectory("gemm-adopt").FullName;
        try
        {
            With(null, () =>
            {
                var layer = new Linear(4, 3, true, new Generator(1));
                var checkpoint = new TrainingCheckpoint("test", new Dictionary<string, Module> { ["layer"] = layer }, new Dictionary<string, string>());
                var path = Path.Combine(dir, "checkpoint.safetensors");
                Gemm.Use(GemmBackend.Managed);
                checkpoint.Save(path, 3, null);
                Assert.Equal(ManagedTag, SafeTensors.ReadMetadata(path)["gemm"]);
                Assert.Null(checkpoint.Load(path).Contents.GemmNote);
                if (!OpenBlas.IsAvailable) return;
                Gemm.Use(GemmBackend.OpenBlas);                    // this start's timing preferred the other backend
                var note = checkpoint.Load(path).Contents.GemmNote;
                Assert.Equal(GemmBackend.Managed, Gemm.Backend);
                Assert.Contains("continuing on " + ManagedTag, note);
                Gemm.Use(GemmBackend.OpenBlas);
                checkpoint.Load(path, continuesRun: false);       // weights for a new run: the backend stays
                Assert.Equal(GemmBackend.OpenBlas, Gemm.Backend);
            });
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ABackendThisMachineLacksIsReportedAndNothingChanges() => With(null, () =>
    {
        Gemm.Use(GemmBackend.Managed);
        var note = Gemm.Adopt("managed AVX-1024 99x99");
        Assert.Equal(GemmBackend.Managed, Gemm.Backend);
        Assert.Contains("this machine cannot run it", note);
        Assert.Contains("not bit-identical", note);
        if (OpenBlas.IsAvailable) return;
        Assert.Contains("cannot run it", Gemm.Adopt("openblas"));
        Assert.Equal(GemmBackend.Managed, Gemm.Backend);
    });

    [Fact]
    public void ABackendForcedByTheEnvironmentWinsWithAWarning() => With("managed", () =>
    {
        Gemm.Use(GemmBackend.Managed);
        var note = Gemm.Adopt("openblas");
        Assert.Equal(GemmBackend.Managed, Gemm.Backend);
        Assert.Contains("DIFFPRUNE_BLAS=managed selects " + ManagedTag, note);
        Assert.Null(Gemm.Adopt(ManagedTag));
    });
}
