using System.Runtime.InteropServices;

namespace DiffPrune.Tensors.Distributed;

/// <summary>
/// Binding to an MPI library (MPICH's <c>libmpich.so.12</c> / <c>libmpi.so.12</c>, Open MPI's <c>libmpi.so.40</c>),
/// resolved at run time so that MPI stays optional, as <see cref="Blas.OpenBlas"/> does for BLAS.
/// </summary>
/// <remarks>
/// The two ABIs differ in their handles: MPICH's are integers fixed in <c>mpi.h</c> (MPI_COMM_WORLD = 0x44000000,
/// MPI_FLOAT = 0x4c00040a, …, checked against MPICH 4.0.2's header), Open MPI's are the addresses of exported globals
/// (<c>&amp;ompi_mpi_comm_world</c>, …). Both are held here as <see cref="nint"/>: on the 64-bit Unix calling conventions
/// (System V x86-64, AAPCS64) an <c>int</c> argument occupies a full register or 8-byte stack slot whose low half the
/// callee reads, so one set of function pointers serves both ABIs. Errors keep MPI's default handler
/// (MPI_ERRORS_ARE_FATAL: a failed call aborts the job); a non-zero return is still turned into an exception.
/// </remarks>
internal sealed unsafe class MpiLibrary
{
    /// <summary>MPI_THREAD_SERIALIZED (the same value in both ABIs): any thread may call, one at a time.</summary>
    const int ThreadSerialized = 2;

    /// <summary>The library files tried, the one the launcher belongs to first.</summary>
    public static string[] Candidates(bool openMpiLauncher) => openMpiLauncher
        ? ["libmpi.so.40", "libmpich.so.12", "libmpi.so.12"]
        : ["libmpich.so.12", "libmpi.so.12", "libmpi.so.40"];

    readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    readonly delegate* unmanaged<int*, int> _initialized;
    readonly delegate* unmanaged<int> _finalize;
    readonly delegate* unmanaged<int*, int> _finalized;
    readonly delegate* unmanaged<nint, int*, int> _commRank, _commSize;
    readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    readonly delegate* unmanaged<void*, int, nint, int, nint, int> _bcast;
    readonly delegate* unmanaged<nint, int> _barrier;
    readonly delegate* unmanaged<void*, int, nint, void*, int, nint, int, nint, int> _gather;
    readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, int, nint, int> _gatherv;
    readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> _allgather;
    readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> _allgatherv;
    readonly delegate* unmanaged<nint, int, int> _abort;
    readonly delegate* unmanaged<byte*, int*, int> _libraryVersion;

    /// <summary>MPI_COMM_WORLD.</summary>
    public nint CommWorld { get; }

    /// <summary>MPI_FLOAT, MPI_DOUBLE, MPI_INT and MPI_BYTE.</summary>
    public nint Float { get; }

    /// <inheritdoc cref="Float"/>
    public nint Double { get; }

    /// <inheritdoc cref="Float"/>
    public nint Int { get; }

    /// <inheritdoc cref="Float"/>
    public nint Byte { get; }

    /// <summary>MPI_SUM.</summary>
    public nint Sum { get; }

    /// <summary>MPI_IN_PLACE: (void*)-1 in MPICH, (void*)1 in Open MPI.</summary>
    public void* InPlace { get; }

    /// <summary>The file that was loaded.</summary>
    public string Name { get; }

    /// <summary>True for Open MPI's ABI, false for MPICH's (shared by Intel MPI and MVAPICH).</summary>
    public bool IsOpenMpi { get; }

    MpiLibrary(string name, nint handle)
    {
        Name = name;
        IsOpenMpi = NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _);
        nint Fn(string symbol) => NativeLibrary.TryGetExport(handle, symbol, out var f) ? f
            : throw new InvalidOperationException($"{name} does not export {symbol}: not an MPI-3 library");
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Fn("MPI_Init_thread");
        _initialized = (delegate* unmanaged<int*, int>)Fn("MPI_Initialized");
        _finalize = (delegate* unmanaged<int>)Fn("MPI_Finalize");
        _finalized = (delegate* unmanaged<int*, int>)Fn("MPI_Finalized");
        _commRank = (delegate* unmanaged<nint, int*, int>)Fn("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)Fn("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Fn("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Fn("MPI_Bcast");
        _barrier = (delegate* unmanaged<nint, int>)Fn("MPI_Barrier");
        _gather = (delegate* unmanaged<void*, int, nint, void*, int, nint, int, nint, int>)Fn("MPI_Gather");
        _gatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, int, nint, int>)Fn("MPI_Gatherv");
        _allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Fn("MPI_Allgather");
        _allgatherv = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Fn("MPI_Allgatherv");
        _abort = (delegate* unmanaged<nint, int, int>)Fn("MPI_Abort");
        _libraryVersion = (delegate* unmanaged<byte*, int*, int>)Fn("MPI_Get_library_version");
        if (IsOpenMpi)
        {
            CommWorld = Fn("ompi_mpi_comm_world");
            Float = Fn("ompi_mpi_float");
            Double = Fn("ompi_mpi_double");
            Int = Fn("ompi_mpi_int");
            Byte = Fn("ompi_mpi_byte");
            Sum = Fn("ompi_mpi_op_sum");
            InPlace = (void*)1;
        }
        else
        {
            CommWorld = 0x44000000;
            Float = 0x4c00040a;
            Double = 0x4c00080b;
            Int = 0x4c000405;
            Byte = 0x4c00010d;
            Sum = 0x58000003;
            InPlace = (void*)-1;
        }
    }

    /// <summary>The first of <paramref name="candidates"/> that loads and exports MPI, or null with the reason.</summary>
    public static MpiLibrary? TryLoad(IReadOnlyList<string> candidates, out string? error)
    {
        foreach (var name in candidates)
        {
            if (!TryLoadGlobal(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "MPI_Init_thread", out _)) continue;
            error = null;
            return new MpiLibrary(name, handle);
        }
        error = $"no MPI library found (tried {string.Join(", ", candidates)})";
        return null;
    }

    /// <summary>
    /// Loads with RTLD_GLOBAL where libc's dlopen is reachable: Open MPI's plug-ins resolve symbols of libmpi through the
    /// global namespace (mpi4py loads it the same way); elsewhere the runtime's own loader.
    /// </summary>
    static bool TryLoadGlobal(string name, out nint handle)
    {
        const int RtldNow = 2, RtldGlobal = 0x100;
        if (OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "dlopen", out var dlopen))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(name + "\0");
            fixed (byte* p = bytes) handle = ((delegate* unmanaged<byte*, int, nint>)dlopen)(p, RtldNow | RtldGlobal);
            if (handle != 0) return true;
        }
        return NativeLibrary.TryLoad(name, out handle);
    }

    static void Check(int rc, string call)
    {
        if (rc != 0) throw new InvalidOperationException($"{call} failed with MPI error code {rc}");
    }

    /// <summary>MPI_Init_thread (MPI_THREAD_SERIALIZED) unless already initialised.</summary>
    public void Init()
    {
        int flag;
        Check(_initialized(&flag), "MPI_Initialized");
        if (flag != 0) return;
        int provided;
        Check(_initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < ThreadSerialized)
            throw new InvalidOperationException($"{Name} provides thread level {provided}, below MPI_THREAD_SERIALIZED");
    }

    /// <summary>MPI_Finalize, once.</summary>
    public void Shutdown()
    {
        int flag;
        Check(_finalized(&flag), "MPI_Finalized");
        if (flag == 0) Check(_finalize(), "MPI_Finalize");
    }

    public int Rank()
    {
        int r;
        Check(_commRank(CommWorld, &r), "MPI_Comm_rank");
        return r;
    }

    public int Size()
    {
        int s;
        Check(_commSize(CommWorld, &s), "MPI_Comm_size");
        return s;
    }

    public string Version()
    {
        var buffer = new byte[8192]; // MPI_MAX_LIBRARY_VERSION_STRING is 8192 in MPICH, 256 in Open MPI
        int length;
        fixed (byte* p = buffer) Check(_libraryVersion(p, &length), "MPI_Get_library_version");
        var first = System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)).Split('\n')[0];
        return string.Join(' ', first.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)); // MPICH: "MPICH Version:\t4.0.2"
    }

    public void AllreduceInPlace(void* data, int count, nint type) =>
        Check(_allreduce(InPlace, data, count, type, Sum, CommWorld), "MPI_Allreduce");

    public void Bcast(void* data, int count, nint type, int root) => Check(_bcast(data, count, type, root, CommWorld), "MPI_Bcast");

    public void Barrier() => Check(_barrier(CommWorld), "MPI_Barrier");

    public void Gather(void* send, int count, nint type, void* receive, int root) =>
        Check(_gather(send, count, type, receive, count, type, root, CommWorld), "MPI_Gather");

    public void Gatherv(void* send, int count, nint type, void* receive, int* counts, int* displacements, int root) =>
        Check(_gatherv(send, count, type, receive, counts, displacements, type, root, CommWorld), "MPI_Gatherv");

    public void Allgather(void* send, int count, nint type, void* receive) =>
        Check(_allgather(send, count, type, receive, count, type, CommWorld), "MPI_Allgather");

    public void Allgatherv(void* send, int count, nint type, void* receive, int* counts, int* displacements) =>
        Check(_allgatherv(send, count, type, receive, counts, displacements, type, CommWorld), "MPI_Allgatherv");

    public void Abort(int code) => _abort(CommWorld, code);
}
