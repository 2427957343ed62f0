using System.Diagnostics;
using DiffPrune.Tensors;
using DiffPrune.Tensors.Blas;
using DiffPrune.Tensors.Distributed;
using DiffPrune.Tensors.Optim;

namespace DiffPrune.Training;

/// <summary>
/// Data-parallel training over the ranks of an mpiexec job (Horovod's and PyTorch DDP's scheme): every rank draws the
/// global batch a single process would draw, computes the rows of its <see cref="Share"/>, backpropagates its part of the
/// global loss (its mean weighted by its share of the examples or answer tokens), and <see cref="SumLossAndGradients"/>
/// adds the parts up, so that every rank holds the single process's loss and gradient and takes the same update. Only the
/// order of the sums differs from one process: results agree to float rounding, not bit for bit.
/// </summary>
/// <remarks>One instance per run; every rank calls each method in the same order (they are collectives).</remarks>
public sealed class DataParallel
{
    readonly AllreduceBuckets _buckets;

    /// <summary>The ranks of the run (more than one).</summary>
    public Communicator World { get; }

    /// <summary>Seconds spent in the last <see cref="SumLossAndGradients"/> (waiting for the slowest rank included).</summary>
    public double LastSeconds { get; private set; }

    /// <summary>Gradient bytes summed by the last <see cref="SumLossAndGradients"/>.</summary>
    public long LastBytes { get; private set; }

    DataParallel(Communicator world)
    {
        World = world;
        _buckets = new AllreduceBuckets(world);
    }

    /// <summary>Data parallelism over <paramref name="world"/> (default: this process's), or null for a world of one, whose
    /// trainers then run exactly the single-process code.</summary>
    public static DataParallel? Over(Communicator? world) => (world ?? Communicator.Single).Size > 1 ? new DataParallel(world!) : null;

    /// <summary>The contiguous rows <c>First … First + Count − 1</c> of a batch of <paramref name="total"/> rows that this rank
    /// computes: ⌊total·r/P⌋ up to ⌊total·(r+1)/P⌋, so shares differ by at most one row.</summary>
    /// <param name="total">Rows of the global batch.</param>
    /// <param name="what">The option that set it, for the message.</param>
    /// <exception cref="ArgumentException">Fewer rows than ranks (a rank would have nothing to do).</exception>
    public (int First, int Count) Share(int total, string what)
    {
        if (total < World.Size)
            throw new ArgumentException($"{what} = {total} is below the {World.Size} processes started by mpiexec: give each process at least one (raise it, or start fewer)");
        int first = (int)((long)total * World.Rank / World.Size), end = (int)((long)total * (World.Rank + 1) / World.Size);
        return (first, end - first);
    }

    /// <summary>
    /// Adds every rank's <paramref name="localLoss"/> (its part of the global loss, already backpropagated when finite) and,
    /// when every part is finite, every rank's gradients of <paramref name="parameters"/> (bucketed allreduce: one call per
    /// few MB). A parameter that has a gradient on any rank gets the sum on all (zeros stand in where a rank has none); one
    /// with a gradient on none keeps none, as in one process. Returns the global loss, or NaN on every rank when any rank's
    /// part was not finite (gradients then untouched), so that all ranks skip or stop together.
    /// </summary>
    public double SumLossAndGradients(double localLoss, IReadOnlyList<Tensor> parameters)
    {
        var clock = Stopwatch.StartNew();
        bool finite = double.IsFinite(localLoss);
        var flags = new double[2 + parameters.Count];
        flags[0] = finite ? localLoss : 0;
        flags[1] = finite ? 0 : 1;
        for (int i = 0; i < parameters.Count; i++) flags[2 + i] = parameters[i].Grad != null ? 1 : 0;
        World.AllreduceSum(flags);
        LastBytes = 0;
        double loss = double.NaN;
        if (flags[1] == 0)
        {
            var gradients = new List<Tensor>();
            for (int i = 0; i < parameters.Count; i++)
            {
                if (flags[2 + i] == 0) continue;
                gradients.Add(parameters[i].Grad ??= Tensor.Zeros(parameters[i].Shape));
                LastBytes += (long)parameters[i].Numel * sizeof(float);
            }
            _buckets.Sum(gradients);
            loss = flags[0];
        }
        LastSeconds = clock.Elapsed.TotalSeconds;
        return loss;
    }

    /// <summary>The element-wise sums of <paramref name="values"/> over all ranks (statistics of the ranks' shares).</summary>
    public double[] Sum(params double[] values)
    {
        var sums = (double[])values.Clone();
        World.AllreduceSum(sums);
        return sums;
    }

    /// <summary>Rank 0's GEMM backend on every rank: ranks that each time the backends could choose differently, and the
    /// backends round differently.</summary>
    public void AgreeOnGemm()
    {
        Span<int> backend = [(int)Gemm.Backend];
        World.Broadcast(backend);
        Gemm.Use((GemmBackend)backend[0]);
    }

    /// <summary>Rank 0's values of <paramref name="tensors"/> on every rank (weights at the start of a run).</summary>
    public void Broadcast(IEnumerable<Tensor> tensors)
    {
        foreach (var t in tensors) World.Broadcast(t.Data);
    }

    /// <summary>Rank 0's <paramref name="values"/> on every rank.</summary>
    public void Broadcast(Span<double> values) => World.Broadcast(values);

    /// <summary>Rank 0's optimizer state (step and moments) in every rank's <paramref name="optimizer"/>.</summary>
    public void Broadcast(AdamW optimizer)
    {
        var (step, moments) = optimizer.GetState();
        Span<int> count = [step];
        World.Broadcast(count);
        Broadcast(moments.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Value));
        optimizer.SetState(count[0], moments);
    }
}
