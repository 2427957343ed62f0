namespace DiffPrune.Tests.Data;

/// <summary>
/// A fact that needs a file installed by a Debian package (.ci/run installs it); skipped, naming the file and the
/// package, when the file is absent.
/// </summary>
public sealed class SystemFileFactAttribute : FactAttribute
{
    /// <summary>Skips unless <paramref name="path"/> exists (file or folder).</summary>
    public SystemFileFactAttribute(string path, string aptPackage)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
            Skip = $"{path} is not present; apt-get install {aptPackage} to run this test";
    }
}
