namespace DiffPrune.Tensors.IO;

/// <summary>
/// Checks a path given as an input file before anything opens it: opening a FIFO blocks until a writer appears, and a
/// folder or device fails later with a message that does not say what was wrong.
/// </summary>
/// <remarks>
/// .NET reports no file type beyond "folder" on Unix, but the size tells: pipes, sockets and devices have none, and no
/// input this project reads (weights, tokenizer, image, config, IDX) can be empty either, so a zero-length path is refused.
/// </remarks>
public static class InputFile
{
    /// <summary>Throws unless <paramref name="path"/> is an existing, non-empty regular file (a symlink to one is fine).</summary>
    /// <param name="path">The path as given.</param>
    /// <param name="what">What the file should be, for the message (e.g. "llama2.c checkpoint").</param>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="InvalidDataException">A folder, an empty file, or a pipe, socket or device is there.</exception>
    public static void CheckRegular(string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new InvalidDataException($"{path} is a folder, not a file: give the {what} file itself");
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path} does not exist: give a {what} file", path);
        if (info.Length == 0)
            throw new InvalidDataException($"{path} is empty (0 bytes) or not a regular file (a pipe, socket or device): give a {what} file");
    }
}
