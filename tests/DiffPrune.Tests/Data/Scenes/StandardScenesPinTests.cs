using System.Security.Cryptography;
using System.Text;
using DiffPrune.Data.Scenes;

namespace DiffPrune.Tests.Data.Scenes;

/// <summary>The square scenes other than the default test split (pinned in <see cref="SceneBenchTests"/>) stay what they
/// were before scenes could take other sizes: the dense configuration at both grids and the classic 81-token grid.</summary>
public class StandardScenesPinTests
{
    [Theory]
    [InlineData("dense", 144, "b1bd7e84469f92133a61d13af6d5720dedf61f1e2ee2343a6af468b6174f23f1")]
    [InlineData("dense", 81, "4b939ec74f20b9baf98676dcef145538380f6e0fee8a651154769296e754e23a")]
    [InlineData("classic", 81, "797147704c572d980fb9ed6531c2ea4fdca258be4f60121408bd54a7a73de6d7")]
    public void SquareScenesAreUnchanged(string configuration, int tokens, string pinned)
    {
        var bench = SceneBenchConfigurations.Parse(configuration);
        foreach (var options in new[] { SceneOptions.For(bench, tokens), SceneOptions.For(bench, tokens, SceneResolution.Standard) })
        {
            string actual = Hash(new SceneBench(options).Split(SceneSplit.Test, 30));
            Assert.True(actual == pinned, $"the first 30 {configuration} test scenes at N = {tokens} changed: SHA-256 {actual}, pinned {pinned}");
        }
    }

    /// <summary>SHA-256 of scenes: seeds, pixels, patch labels, captions, every item and its image.</summary>
    internal static string Hash(IEnumerable<SceneExample> examples)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in examples)
        {
            sha.AppendData(BitConverter.GetBytes(e.Scene.Seed));
            sha.AppendData(e.Scene.Image.Rgb);
            foreach (int p in e.Scene.PatchObject) sha.AppendData(BitConverter.GetBytes(p));
            foreach (int p in e.Scene.PatchDigit) sha.AppendData(BitConverter.GetBytes(p));
            foreach (bool c in e.Scene.PatchClutter) sha.AppendData(BitConverter.GetBytes(c));
            sha.AppendData(Encoding.UTF8.GetBytes(e.Caption + "\n"));
            foreach (var item in e.Items)
            {
                sha.AppendData(Encoding.UTF8.GetBytes($"{item.Suite}|{item.Prompt}|{item.Answer}|{item.Skill}|{item.Group}|{item.PopeSplit}|{item.Degradation}|{item.Unanswerable}|{string.Join(',', item.Evidence)}\n"));
                if (item.Image != null) sha.AppendData(item.Image.Rgb);
            }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
