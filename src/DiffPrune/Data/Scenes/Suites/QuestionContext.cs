using DiffPrune.Data.Images;
using DiffPrune.Tensors;

namespace DiffPrune.Data.Scenes.Suites;

/// <summary>
/// What a suite writer works with: the scene, the suite's own random stream, and builders for open and
/// multiple-choice items that fill in the bookkeeping (seed, groups, option shuffling, circular rotations).
/// </summary>
internal sealed class QuestionContext
{
    readonly List<SceneQuestion> _items = [];
    readonly HashSet<string> _asked = new(StringComparer.Ordinal);
    int _groups;
    (SceneColor Color, SceneShape Shape)[]? _absent;

    public QuestionContext(Scene scene, SceneSuite suite)
    {
        Scene = scene;
        Suite = suite;
        Rng = SceneSeeds.For(scene.Seed, SceneSeeds.SuiteStream(suite));
    }

    public Scene Scene { get; }
    public SceneSuite Suite { get; }
    public Generator Rng { get; }
    public IReadOnlyList<SceneObject> Objects => Scene.Objects;
    public IReadOnlyList<SceneQuestion> Items => _items;
    public int Count => Scene.Objects.Count;
    public int[] AllObjects => Enumerable.Range(0, Count).ToArray();

    /// <summary>Kinds absent from the image, in kind-index order.</summary>
    public IReadOnlyList<(SceneColor Color, SceneShape Shape)> AbsentKinds =>
        _absent ??= Enumerable.Range(0, SceneAttributes.KindCount).Where(i => !Scene.ObjectsPresent[i]).Select(SceneAttributes.Kind).ToArray();

    /// <summary>Wrong counts to offer or ask about: <paramref name="lowest"/>..<paramref name="highest"/> while scenes
    /// hold at most <paramref name="highest"/> objects, else every count from two below the fewest to two above the
    /// most objects, so that the right count is never given away as the odd one out; the scene's own count left out.</summary>
    public int[] WrongCounts(int lowest, int highest)
    {
        var options = Scene.Options;
        var (from, to) = options.MaxObjects <= highest ? (lowest, highest) : (Math.Max(0, options.MinObjects - 2), options.MaxObjects + 2);
        return Enumerable.Range(from, to - from + 1).Where(n => n != Count).ToArray();
    }

    /// <summary>Wrong labels to offer for <paramref name="o"/>'s: the other digits for a digit; for a two-glyph number, the
    /// numbers that share one of its glyphs (37: 30–39 and 17, 27, …, 97), so that both glyphs must be read.</summary>
    public static string[] WrongLabels(SceneObject o)
    {
        int label = o.Digit ?? throw new ArgumentException($"{o.Name} has no label", nameof(o));
        if (label < 10) return Enumerable.Range(0, 10).Where(d => d != label).Select(d => d.ToString()).ToArray();
        int tens = label / 10, units = label % 10;
        return Enumerable.Range(0, 10).Where(u => u != units).Select(u => tens * 10 + u)
            .Concat(Enumerable.Range(1, 9).Where(t => t != tens).Select(t => t * 10 + units))
            .Select(n => n.ToString()).ToArray();
    }

    public int NewGroup() => _groups++;
    public bool Coin() => Rng.NextInt(2) == 0;
    public T Pick<T>(IReadOnlyList<T> list) => list[Rng.NextInt(list.Count)];
    public SceneObject PickObject() => Objects[Rng.NextInt(Count)];

    public List<T> Shuffle<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = Rng.NextInt(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }

    public static string Name((SceneColor Color, SceneShape Shape) kind) => $"{kind.Color.Word()} {kind.Shape.Word()}";

    /// <summary>"a red circle", "an orange cross".</summary>
    public static string WithArticle(string name) => ("aeiou".Contains(name[0]) ? "an " : "a ") + name;

    public SceneObject[] Related(SpatialRelation relation, SceneObject anchor) =>
        Objects.Where(o => o != anchor && relation.Holds(o, anchor)).ToArray();

    /// <summary>Whether this suite already asked <paramref name="question"/> about this scene.</summary>
    public bool Asked(string question) => _asked.Contains(question);

    /// <summary>Adds an open item; false (nothing added) if this scene already has the same question in this suite.</summary>
    public bool Open(string question, string answer, QuestionSkill skill, IEnumerable<int> evidence, int group = -1,
        RgbImage? image = null, ImageDegradation degradation = ImageDegradation.None, UnanswerableReason unanswerable = UnanswerableReason.None)
    {
        if (!_asked.Add(question)) return false;
        _items.Add(new SceneQuestion
        {
            Suite = Suite,
            SceneSeed = Scene.Seed,
            Question = question,
            Answer = answer,
            Skill = skill,
            Evidence = evidence.ToArray(),
            Group = group,
            Image = image,
            Degradation = degradation,
            Unanswerable = unanswerable,
        });
        return true;
    }

    /// <summary>
    /// Adds a multiple-choice item: <paramref name="correct"/> plus distractors drawn from <paramref name="pool"/>
    /// (distinct, never the correct text; the first ones when <paramref name="shufflePool"/> is false, else random ones)
    /// up to <paramref name="optionCount"/> options, shuffled; with
    /// <paramref name="circular"/> three more items with the options rotated, all in one group.
    /// </summary>
    public bool Choice(string question, string correct, IEnumerable<string> pool, int optionCount, QuestionSkill skill,
        IEnumerable<int> evidence, OptionStyle style = OptionStyle.Dotted, bool circular = false, bool shufflePool = true)
    {
        var candidates = pool.Where(p => p != correct).Distinct();
        var distractors = (shufflePool ? Shuffle(candidates) : candidates).Take(optionCount - 1).ToList();
        if (distractors.Count == 0 || !_asked.Add(question)) return false;
        var options = Shuffle(distractors.Append(correct));
        int answer = options.IndexOf(correct);
        int rotations = circular ? options.Count : 1;
        int group = circular ? NewGroup() : -1;
        var ev = evidence.ToArray();
        for (int r = 0; r < rotations; r++)
        {
            var rotated = options.Skip(r).Concat(options.Take(r)).ToArray();
            _items.Add(new SceneQuestion
            {
                Suite = Suite,
                SceneSeed = Scene.Seed,
                Question = question,
                Skill = skill,
                Evidence = ev,
                Group = group,
                Options = rotated,
                OptionStyle = style,
                Answer = SceneQuestion.Letters[(answer - r + options.Count) % options.Count],
            });
        }
        return true;
    }

    /// <summary>Adds a finished item (suites with their own bookkeeping: POPE, VizWiz).</summary>
    public void Add(SceneQuestion item) => _items.Add(item);

    /// <summary>
    /// Makes up to <paramref name="count"/> items by trying makers in weighted random order; a maker returns false
    /// when its template does not apply to this scene. Each maker succeeds at most once per round; rounds repeat
    /// (with makers that succeeded, which then pick other objects) until enough items exist or none can add more.
    /// </summary>
    public void Run(int count, params (int Weight, Func<bool> Make)[] makers)
    {
        var round = makers.ToList();
        int made = 0;
        while (made < count && round.Count > 0)
        {
            var succeeded = new List<(int, Func<bool>)>();
            var pending = round.ToList();
            while (made < count && pending.Count > 0)
            {
                int total = pending.Sum(m => m.Item1), r = Rng.NextInt(total), i = 0;
                while (r >= pending[i].Item1) r -= pending[i++].Item1;
                var maker = pending[i];
                pending.RemoveAt(i);
                if (maker.Item2()) { made++; succeeded.Add(maker); }
            }
            round = succeeded;
        }
    }
}
