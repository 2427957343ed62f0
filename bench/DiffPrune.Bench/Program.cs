using System.Numerics;
using System.Runtime;
using System.Runtime.Intrinsics;
using DiffPrune.Bench;
using DiffPrune.Tensors.Blas;

// dotnet run -c Release --project bench/DiffPrune.Bench -- [gemm|block|memory|models|pruner|train|eval|stats|parallel|all] [--quick]
// Exit codes: 0 ran, 2 unknown command.
if (args.Length == 3 && args[0] == "parallel-worker") return ParallelTrainBench.Worker(args[1..]); // started by 'parallel', under mpiexec or alone
string[] commands = ["gemm", "block", "memory", "models", "pruner", "train", "eval", "stats", "parallel", "all"];
string command = args.Length == 0 ? "all" : args[0].Trim().ToLowerInvariant();
bool quick = args.Length == 2 && args[1] == "--quick";
if (args.Length > (quick ? 2 : 1) || Array.IndexOf(commands, command) < 0)
{
    Console.Error.WriteLine($"usage: DiffPrune.Bench [{string.Join('|', commands)}] [--quick]  (default all); got '{string.Join(' ', args)}'");
    Console.Error.WriteLine("  --quick one round of one step per thread count in `train`, one round on 20 scenes in `eval` (allocations and GCs are exact; times are one sample)");
    Console.Error.WriteLine("  gemm    GFLOP/s of Tensor.Matmul, raw cblas_sgemm and the managed kernel at 64..1024, engine overhead at 512");
    Console.Error.WriteLine("  block   forward and forward+backward time of a Transformer block on each GEMM backend");
    Console.Error.WriteLine("  memory  RSS and GC heap over 1,000 training steps of that block (batch 1)");
    Console.Error.WriteLine("  models  stories260K tokens/s; VLM prefill at N = 144 vs 16 visual tokens, pre-LLM and in-LLM");
    Console.Error.WriteLine("  pruner  deployed pruner's cost (scorer + gather) next to the prefill it saves, N = 144 and LLaVA-1.5's N = 576");
    Console.Error.WriteLine("  train   the pruner training step on the shipped VLM, phase by phase, with GEMM share, allocations and GCs");
    Console.Error.WriteLine("  eval    DivPrune at 1/9 on 100 test scenes as `diffprune eval` runs it: wall time, allocations, gen-2 GCs, kernel share");
    Console.Error.WriteLine("  stats   bootstrap intervals of an eval table: 100 scenes, 20 rows, 2,000 resamples");
    Console.Error.WriteLine("  parallel  pruner training and pretraining steps/s: mpiexec -n 2 (1 thread per rank) vs one process on 2 and 1 threads, allreduce share (not in all)");
    return 2;
}

#if DEBUG
Console.WriteLine("WARNING: Debug build; use -c Release for meaningful numbers.");
#endif
Console.WriteLine("DiffPrune.Bench");
Console.WriteLine($"  GEMM backend : {Gemm.Backend} (DIFFPRUNE_BLAS={Environment.GetEnvironmentVariable("DIFFPRUNE_BLAS") ?? "unset"}; {GemmInfo.Calibration ?? "not measured"})");
Console.WriteLine($"  OpenBLAS     : {(GemmInfo.OpenBlasAvailable ? $"{GemmInfo.OpenBlasLibrary}, {GemmInfo.OpenBlasThreads} thread of its own" : "not available")}");
Console.WriteLine($"  managed      : {ManagedGemm.KernelName}");
Console.WriteLine($"  threads      : {DiffPrune.Tensors.ThreadBudget.Threads} (DIFFPRUNE_THREADS={Environment.GetEnvironmentVariable("DIFFPRUNE_THREADS") ?? "unset"}), shared by engine loops and GEMM");
Console.WriteLine($"  SIMD         : Vector512 {(Vector512.IsHardwareAccelerated ? "yes" : "no")}, Vector256 {(Vector256.IsHardwareAccelerated ? "yes" : "no")}, Vector<float> {Vector<float>.Count} lanes");
Console.WriteLine($"  machine      : {Environment.ProcessorCount} logical cores, .NET {Environment.Version}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC");
Console.WriteLine();

if (command is "gemm" or "all") GemmBench.Run();
if (command is "block" or "all") BlockBench.Run();
if (command is "memory" or "all") MemoryBench.Run();
if (command is "models" or "all") ModelBench.Run();
if (command is "pruner" or "all") PrunerBench.Run();
if (command is "train" or "all") TrainBench.Run(rounds: quick ? 1 : 3, steps: quick ? 1 : 3);
if (command is "eval" or "all") EvalBench.Run(rounds: quick ? 1 : 2, scenes: quick ? 20 : 100);
if (command is "parallel") ParallelTrainBench.Run();
if (command is "stats" or "all") StatisticsBench.Run();
return 0;
