namespace DiffPrune.Tensors.Blas;

/// <summary>One GEMM call cut into strips of C that independent threads compute (see <see cref="ManagedGemm"/>).</summary>
internal unsafe struct GemmStrips
{
    public GemmKernel Kernel;
    public bool TransA, TransB;
    public int M, N, K;
    public float Alpha, Beta;
    public float* A, B, C;
    public int Lda, Ldb, Ldc;
    /// <summary>True: strips are column ranges of C (and of op(B)); false: row ranges of C (and of op(A)).</summary>
    public bool SplitN;
    /// <summary>Columns (or rows) per strip, a whole number of micro-tiles.</summary>
    public int Width;
    /// <summary>Number of strips.</summary>
    public int Count;
    /// <summary>True: each strip is one single-threaded OpenBLAS call; false: the managed driver with <see cref="Kernel"/>.</summary>
    public bool Native;

    /// <summary>
    /// Cuts C into at most <paramref name="threads"/> strips of whole micro-tiles along its larger side (the other operand
    /// is read by every strip, so it should be the smaller one). <see cref="Count"/> is 1 when one thread does it all.
    /// </summary>
    public static GemmStrips Plan(in GemmKernel kern, bool native, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        bool splitN = n >= m;
        int unit = splitN ? kern.NR : kern.MR;
        int tiles = ((splitN ? n : m) + unit - 1) / unit;
        threads = Math.Max(1, Math.Min(threads, tiles));
        int width = Math.Max(1, (tiles + threads - 1) / threads) * unit;   // a whole number of tiles per strip
        return new GemmStrips
        {
            Kernel = kern,
            Native = native,
            TransA = transA,
            TransB = transB,
            M = m,
            N = n,
            K = k,
            Alpha = alpha,
            Beta = beta,
            A = a,
            B = b,
            C = c,
            Lda = lda,
            Ldb = ldb,
            Ldc = ldc,
            SplitN = splitN,
            Width = width,
            Count = ((splitN ? n : m) + width - 1) / width,
        };
    }
}

/// <summary>
/// Fork-join over the strips of one GEMM call on the thread pool, allocation-free in steady state.
/// Why not <c>Parallel.For</c>: it allocates several KB per call, which adds up over the thousands of GEMMs of a
/// training step. The property that matters is kept: strips are claimed from a shared counter and the calling
/// thread claims them too, so if no pool thread is free (e.g. every pool thread is itself inside a GEMM) the caller
/// simply computes every strip and nothing can deadlock.
/// </summary>
internal sealed unsafe class GemmForkJoin : IThreadPoolWorkItem
{
    // Job objects of the calling thread. One is reused only once no helper of its previous call is inside Execute;
    // a helper often is, for a moment, right after the call returns (it signals the last strip, then leaves), so
    // two alternate and a third is allocated only when both are still held.
    [ThreadStatic] static GemmForkJoin? _cached0, _cached1;

    GemmStrips _job;
    int _next;          // next strip to claim
    int _finished;      // strips completed
    int _helpersInside; // queued helpers that have not returned from Execute yet
    readonly ManualResetEventSlim _done = new(false);
    Exception? _error;  // first failure of any strip, rethrown on the calling thread

    /// <summary>Computes every strip of <paramref name="job"/> with up to <paramref name="threads"/> threads, the caller included.</summary>
    public static void Run(in GemmStrips job, int threads)
    {
        var fj = Free(ref _cached0) ?? Free(ref _cached1) ?? (_cached0 = new GemmForkJoin());
        fj._job = job;
        fj._next = 0;
        fj._finished = 0;
        fj._done.Reset();
        int helpers = Math.Min(threads, job.Count) - 1;
        fj._helpersInside = helpers;
        for (int i = 0; i < helpers; i++) ThreadPool.UnsafeQueueUserWorkItem(fj, preferLocal: false);
        fj.Work();
        fj._done.Wait();
        if (fj._error is { } error)
        {
            fj._error = null;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    static GemmForkJoin? Free(ref GemmForkJoin? slot)
    {
        slot ??= new GemmForkJoin();
        return Volatile.Read(ref slot._helpersInside) == 0 ? slot : null;
    }

    /// <summary>Thread-pool entry of a helper.</summary>
    public void Execute()
    {
        try { Work(); }
        finally { Interlocked.Decrement(ref _helpersInside); }
    }

    void Work()
    {
        int s;
        while ((s = Interlocked.Increment(ref _next) - 1) < _job.Count)
        {
            // Nothing in a strip is expected to throw (bounds are checked up front), but an exception escaping a pool
            // thread would end the process and a strip that never finishes would hang the caller.
            try { ManagedGemm.RunStrip(in _job, s); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            finally
            {
                if (Interlocked.Increment(ref _finished) == _job.Count) _done.Set();
            }
        }
    }
}
