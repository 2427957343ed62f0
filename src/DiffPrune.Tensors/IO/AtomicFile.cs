using System.Text;

namespace DiffPrune.Tensors.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content, never a partial file:
/// the bytes go to a hidden temp file in the same directory (<c>.name.random.tmp</c>), which is flushed to disk and
/// then renamed over the target. On any exception the temp file is deleted and the target is untouched.
/// </summary>
/// <remarks>
/// The rename is atomic on one file system (hence the temp file sits beside the target). The directory entry
/// itself is not flushed, so a power cut right after a write may leave the previous version, never a torn one.
/// A process killed mid-write leaves its <c>.tmp</c> file behind; the target is still intact.
/// </remarks>
public static class AtomicFile
{
    /// <summary>
    /// Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream it is given.
    /// The callback must not dispose the stream.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The target's directory does not exist.</exception>
    /// <remarks>Whatever <paramref name="write"/> throws is rethrown after the temp file is removed.</remarks>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = System.IO.Path.GetFullPath(path);
        string name = System.IO.Path.GetFileName(full);
        if (name.Length == 0) throw new ArgumentException($"'{path}' names a directory, not a file", nameof(path));
        string dir = System.IO.Path.GetDirectoryName(full)!;
        string temp = System.IO.Path.Combine(dir, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Atomically creates or replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, s => s.Write(bytes));
    }

    /// <summary>Atomically creates or replaces <paramref name="path"/> with <paramref name="text"/> as UTF-8 (no BOM).</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));
    }
}
