using System.Diagnostics;
using DiffPrune.Tensors.IO;

namespace DiffPrune.Tensors.Tests.IO;

public class RunFolderLockTests
{
    [Fact]
    public void ASecondAcquireIsRefusedNamingTheHoldersPidUntilTheFirstIsReleased()
    {
        using var dir = new TempDir();
        string folder = dir.File("run");
        var first = RunFolderLock.Acquire(folder);
        Assert.True(File.Exists(Path.Combine(folder, RunFolderLock.FileName)));
        var e = Assert.Throws<RunFolderLockedException>(() => RunFolderLock.Acquire(folder));
        Assert.Contains($"PID {Environment.ProcessId}", e.Message);
        Assert.Contains(folder, e.Message);
        first.Dispose();
        Assert.False(File.Exists(Path.Combine(folder, RunFolderLock.FileName)));
        RunFolderLock.Acquire(folder).Dispose();
    }

    [Fact]
    public void ALockLeftByADeadProcessIsTakenOver()
    {
        using var dir = new TempDir();
        int deadPid;
        using (var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            exited.WaitForExit();
            deadPid = exited.Id;
        }
        File.WriteAllText(dir.File(RunFolderLock.FileName), deadPid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var taken = RunFolderLock.Acquire(dir.Path);
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(dir.File(RunFolderLock.FileName)));
    }

    [Fact]
    public void AGarbledLockIsStaleToo()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File(RunFolderLock.FileName), "not a pid");
        using var taken = RunFolderLock.Acquire(dir.Path);
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(dir.File(RunFolderLock.FileName)));
    }

    [Fact]
    public void TemporaryFilesOfAKilledWriterAreRemovedAndOthersKept()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("pruner"));
        File.WriteAllText(dir.File(".report.md.0123abcd.tmp"), "torn");
        File.WriteAllText(Path.Combine(dir.File("pruner"), ".pruner.json.4567.tmp"), "torn");
        File.WriteAllText(dir.File("report.md"), "kept");
        File.WriteAllText(dir.File("notes.tmp"), "kept: not a hidden temporary");
        using var _ = RunFolderLock.Acquire(dir.Path);
        Assert.Equal([RunFolderLock.FileName, "notes.tmp", "pruner", "report.md"], dir.Listing());
        Assert.Empty(Directory.GetFiles(dir.File("pruner")));
    }

    [Fact]
    public void AFileWhereTheFolderBelongsIsAnIoError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("taken"), "x");
        var e = Assert.Throws<IOException>(() => RunFolderLock.Acquire(dir.File("taken")));
        Assert.Contains("is a file, not a folder", e.Message);
    }

    [UnixFact("/proc exists on Linux only")]
    public void AFolderThatCannotBeCreatedIsAnIoErrorNamingIt()
    {
        if (!Directory.Exists("/proc/self")) return;
        var e = Assert.ThrowsAny<IOException>(() => RunFolderLock.Acquire("/proc/diffprune-lock-test"));
        Assert.Contains("/proc/diffprune-lock-test", e.Message);
    }
}
