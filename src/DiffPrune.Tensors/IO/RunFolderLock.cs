using System.Diagnostics;
using System.Globalization;

namespace DiffPrune.Tensors.IO;

/// <summary>
/// Keeps two runs out of one output folder: the first holds <c>.diffprune.lock</c> (its PID) until it is disposed, and a
/// second is refused with a message that names that PID. A lock left by a process that no longer runs is taken over.
/// Acquiring also proves the folder writable before any work starts, and removes the temporary files that
/// <see cref="AtomicFile"/> leaves behind when a run is killed mid-write.
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the folder.</summary>
    public const string FileName = ".diffprune.lock";

    readonly string _path;
    bool _released;

    RunFolderLock(string folder, string path)
    {
        Folder = folder;
        _path = path;
    }

    /// <summary>The locked folder (full path).</summary>
    public string Folder { get; }

    /// <summary>Creates <paramref name="folder"/> if needed and locks it for this process.</summary>
    /// <param name="folder">The run's output folder.</param>
    /// <param name="option">The option that named the folder (for messages), e.g. "--out".</param>
    /// <exception cref="RunFolderLockedException">Another live process holds the folder.</exception>
    /// <exception cref="IOException">The folder cannot be created or written (the message names it and what to do).</exception>
    public static RunFolderLock Acquire(string folder, string option = "--out")
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string full = Path.GetFullPath(folder);
        string path = Path.Combine(full, FileName);
        try
        {
            if (File.Exists(full)) throw new IOException($"{option} {full} is a file, not a folder: choose a folder for the run's output");
            Directory.CreateDirectory(full);
            // a second attempt covers a stale lock removed between our look and our create by another taker
            for (int attempt = 0; attempt < 3; attempt++)
            {
                if (TryCreate(path)) break;
                var holder = ReadHolder(path);
                if (holder is int pid && IsAlive(pid))
                    throw new RunFolderLockedException($"{option} {full} is in use by another diffprune run (PID {pid}): wait for it to end or choose another {option} " +
                        $"(if no such run exists, delete {path})");
                File.Delete(path); // the holder is gone: take the lock over
                if (attempt == 2) throw new IOException($"{option} {full}: could not take over the stale lock {path}; delete it and retry");
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException || e is IOException && e is not RunFolderLockedException && !File.Exists(full))
        {
            throw new IOException($"{option} {full} cannot be created or written ({e.Message}): choose a folder you may write to, or fix its permissions", e);
        }
        var held = new RunFolderLock(full, path);
        RemoveStaleTemporaries(full);
        return held;
    }

    static bool TryCreate(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            using var writer = new StreamWriter(stream);
            writer.Write(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    static int? ReadHolder(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="pid"/> runs and is this process or a .NET one (a reused PID of another program is stale).</summary>
    static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited) return false;
            string name = process.ProcessName;
            return name.Contains("dotnet", StringComparison.OrdinalIgnoreCase) || name.Contains("diffprune", StringComparison.OrdinalIgnoreCase)
                || name.Contains("testhost", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Deletes <see cref="AtomicFile"/>'s leftovers (<c>.name.*.tmp</c>) in the folder and below: only a killed writer leaves them, and
    /// the folder is ours now.</summary>
    static void RemoveStaleTemporaries(string folder)
    {
        foreach (var temp in Directory.EnumerateFiles(folder, ".*.tmp", SearchOption.AllDirectories))
        {
            try { File.Delete(temp); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Releases the folder (deletes the lock file if it is still ours).</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        try
        {
            if (ReadHolder(_path) == Environment.ProcessId) File.Delete(_path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
