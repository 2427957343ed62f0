using DiffPrune.Data.Scenes;

namespace DiffPrune.Eval.Calibration;

/// <summary>
/// What a perfect reader can get from a set of kept patches of one scene. The scene's facts are one per object (its
/// colour, shape, size and region: seen when any of its patches is kept) and one per glyph of its label (read when
/// the glyph's patch is kept); the information a kept set holds is the fraction of those facts it shows. Everything
/// else in the image (plain background, clutter) holds none.
/// </summary>
public sealed class PatchFacts
{
    readonly int[] _patchObject;
    readonly bool[] _glyph;
    readonly int[] _objectPatches;

    /// <summary>The facts of <paramref name="scene"/>.</summary>
    public PatchFacts(Scene scene)
    {
        ArgumentNullException.ThrowIfNull(scene);
        _patchObject = scene.PatchObject.ToArray();
        _glyph = new bool[_patchObject.Length];
        foreach (var o in scene.Objects)
            foreach (int p in o.GlyphPatches) _glyph[p] = true;
        _objectPatches = new int[scene.Objects.Count];
        foreach (int o in _patchObject) if (o >= 0) _objectPatches[o]++;
        Objects = scene.Objects.Count;
        Glyphs = _glyph.Count(g => g);
        ObjectPatchCount = _objectPatches.Sum();
        ClutterPatchCount = scene.PatchClutter.Count(c => c);
    }

    /// <summary>N.</summary>
    public int Patches => _patchObject.Length;
    /// <summary>Objects in the scene.</summary>
    public int Objects { get; }
    /// <summary>Glyphs of all its labels (one patch each).</summary>
    public int Glyphs { get; }
    /// <summary>Patches labelled with an object.</summary>
    public int ObjectPatchCount { get; }
    /// <summary>Clutter patches (<see cref="Scene.PatchClutter"/>).</summary>
    public int ClutterPatchCount { get; }
    /// <summary>Objects + glyphs.</summary>
    public int Facts => Objects + Glyphs;
    /// <summary>The fewest patches that hold every fact: every glyph patch, and one patch of each object without a label.</summary>
    public int PatchesForAllFacts => Glyphs + Enumerable.Range(0, Objects).Count(o => !HasGlyph(o));

    bool HasGlyph(int o) => Enumerable.Range(0, Patches).Any(p => _glyph[p] && _patchObject[p] == o);

    /// <summary>Whether patch <paramref name="p"/> belongs to an object.</summary>
    public bool IsObject(int p) => _patchObject[p] >= 0;

    /// <summary>(objects seen, glyphs read) by a reader of <paramref name="kept"/>.</summary>
    public (int Objects, int Glyphs) Held(IEnumerable<int> kept)
    {
        var seen = new bool[Objects];
        int glyphs = 0;
        foreach (int p in kept.Distinct())
        {
            if (_patchObject[p] >= 0) seen[_patchObject[p]] = true;
            if (_glyph[p]) glyphs++;
        }
        return (seen.Count(s => s), glyphs);
    }

    /// <summary>The fraction of the facts <paramref name="kept"/> holds.</summary>
    public double Information(IEnumerable<int> kept)
    {
        var (objects, glyphs) = Held(kept);
        return (objects + glyphs) / (double)Facts;
    }

    /// <summary>Expected (objects seen, glyphs read) from <paramref name="k"/> patches drawn uniformly without
    /// replacement from all N patches (<paramref name="objectPatchesOnly"/> false) or from the object patches only;
    /// exact (hypergeometric): an object of m patches out of a pool of M is missed with probability C(M−m, K)/C(M, K).</summary>
    public (double Objects, double Glyphs) ExpectedRandom(int k, bool objectPatchesOnly)
    {
        int pool = objectPatchesOnly ? ObjectPatchCount : Patches;
        if (k >= pool) return (Objects, Glyphs);
        double objects = 0;
        foreach (int m in _objectPatches)
        {
            double missed = 1;
            for (int i = 0; i < m; i++) missed *= (double)(pool - k - i) / (pool - i);
            objects += 1 - Math.Max(0, missed);
        }
        return (objects, Glyphs * (double)k / pool);
    }

    /// <summary>The best <paramref name="k"/> patches for a perfect reader (greedy by facts gained, which is optimal
    /// here: a label's first glyph shows two facts, any other useful patch one), ascending.</summary>
    public int[] Oracle(int k)
    {
        var seen = new bool[Objects];
        var chosen = new List<int>();
        var taken = new bool[Patches];
        while (chosen.Count < Math.Min(k, Patches))
        {
            int best = -1, bestGain = -1;
            for (int p = 0; p < Patches; p++)
            {
                if (taken[p]) continue;
                int gain = (_glyph[p] ? 1 : 0) + (_patchObject[p] >= 0 && !seen[_patchObject[p]] ? 1 : 0);
                if (gain > bestGain) (best, bestGain) = (p, gain);
            }
            taken[best] = true;
            chosen.Add(best);
            if (_patchObject[best] >= 0) seen[_patchObject[best]] = true;
        }
        chosen.Sort();
        return chosen.ToArray();
    }
}
