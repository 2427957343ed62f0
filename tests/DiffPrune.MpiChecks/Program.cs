using DiffPrune.Tensors;
using DiffPrune.Tensors.Distributed;

// Run on every rank by `mpiexec -n P`: each check computes on every rank what the collective must give (from the rank
// and size alone) and compares; rank 0 prints one line per check, and the exit code is the number of failed checks.
var world = Communicator.World;
int failures = 0;
void Check(string name, bool ok, string detail = "")
{
    // every rank's verdict counts: one rank's wrong data must fail the run
    var verdicts = new double[] { ok ? 0 : 1 };
    world.AllreduceSum(verdicts);
    if (verdicts[0] > 0) failures++;
    if (world.IsRoot) Console.WriteLine(verdicts[0] > 0 ? $"FAIL {name}: {verdicts[0]} rank(s) wrong {detail}" : $"ok {name}");
}

int rank = world.Rank, size = world.Size;
Check("world", size > 1 && world.Library != null, $"size {size}, library {world.Library}");

// Sums of odd lengths hit every chunk boundary: chunks of 7 elements over 0..40 elements.
var chunked = world.WithChunk(7);
bool sums = true;
for (int n = 0; n <= 40; n++)
{
    var data = Enumerable.Range(0, n).Select(i => (float)(i * 100 + rank)).ToArray();
    chunked.AllreduceSum(data);
    for (int i = 0; i < n; i++) sums &= data[i] == i * 100 * size + size * (size - 1) / 2;
}
Check("allreduce sum, chunked", sums);

var doubles = new[] { rank + 0.5, -rank };
world.AllreduceSum(doubles);
Check("allreduce sum of doubles", doubles[0] == size * (size - 1) / 2.0 + 0.5 * size && doubles[1] == -size * (size - 1) / 2.0);

// Broadcast from the last rank, in byte chunks of 7.
var bytes = Enumerable.Range(0, 50).Select(i => (byte)(rank == size - 1 ? i * 3 : 0)).ToArray();
chunked.Broadcast<byte>(bytes, root: size - 1);
Check("broadcast", bytes.Select((b, i) => b == (byte)(i * 3)).All(x => x));

// Gathers of different lengths per rank (rank r sends r + 1 values), on rank 0 and on every rank.
var mine = Enumerable.Range(0, rank + 1).Select(i => (byte)(10 * rank + i)).ToArray();
var gathered = world.Gather(mine);
bool gatherOk = rank == 0
    ? gathered != null && gathered.Length == size && gathered.Select((g, r) => g.SequenceEqual(Enumerable.Range(0, r + 1).Select(i => (byte)(10 * r + i)))).All(x => x)
    : gathered == null;
Check("gatherv of bytes", gatherOk);
var floats = world.Gather(new[] { rank * 1.5f, -rank });
Check("gather of floats", rank != 0 ? floats == null
    : floats!.SequenceEqual(Enumerable.Range(0, size).SelectMany(r => new[] { r * 1.5f, -r })));
var everyone = world.AllGather(mine);
Check("allgatherv", everyone.Length == size && everyone.Select((g, r) => g.Length == r + 1 && g[0] == 10 * r).All(x => x));

// Buckets: tensors of mixed sizes, one larger than a 64-byte bucket (16 floats), averaged over ranks.
var shapes = new[] { 3, 16, 1, 40, 5, 12, 7 };
var tensors = shapes.Select((n, t) => Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)(1000 * t + i + 2 * rank)).ToArray(), n)).ToList();
var buckets = new AllreduceBuckets(world, bucketBytes: 64);
buckets.Average(tensors);
// the mean is the sum times 1/size, rounded: exact for 2 ranks, within an ulp or two for 3
bool averaged = tensors.Select((x, t) => x.Data.ToArray().Select((v, i) => Math.Abs(v - (1000 * t + i + (size - 1))) <= 1e-6 * (1000 * t + i + size)).All(y => y)).All(y => y);
Check("bucketed average", averaged);
// in order into 16 floats: [3] | [16] | 40 alone, in place | [1, 5] | [12] | [7]
Check("bucket calls", buckets.LastCalls == 6, $"got {buckets.LastCalls}");

world.Barrier();
world.Shutdown();
return failures;
