namespace DiffPrune.Tests;

/// <summary>Locates optional data in the <c>shared/</c> folder beside the checkout (e.g. shared/models/stories260K).</summary>
public static class SharedData
{
    /// <summary>The repository root (the folder holding DiffPrune.slnx), found upward from the test binary.</summary>
    public static string RepoRoot { get; } = FindRoot();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DiffPrune.slnx"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (DiffPrune.slnx) above " + AppContext.BaseDirectory);
    }

    /// <summary>Full path of <paramref name="relative"/> inside ../shared.</summary>
    public static string PathOf(string relative) => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", relative));

    /// <summary>True when the file or folder exists.</summary>
    public static bool Exists(string relative) => File.Exists(PathOf(relative)) || Directory.Exists(PathOf(relative));
}

/// <summary>A fact that is skipped, with a message saying what is missing, when optional shared data is absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    /// <summary>Skips unless <paramref name="relativePath"/> exists under ../shared.</summary>
    public SharedDataFactAttribute(string relativePath)
    {
        if (!SharedData.Exists(relativePath))
            Skip = $"optional data {SharedData.PathOf(relativePath)} is not present; place the shared/ folder beside the checkout to run this test";
    }
}
