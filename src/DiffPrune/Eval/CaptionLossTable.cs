using System.Globalization;
using System.Text;
using System.Text.Json;
using DiffPrune.Data.Scenes;
using DiffPrune.Data.Text;
using DiffPrune.Eval.Statistics;
using DiffPrune.Models.Vlm;
using DiffPrune.Pruning;
using DiffPrune.Reporting;
using DiffPrune.Tensors;

namespace DiffPrune.Eval;

/// <summary>
/// The caption loss of each pre-LLM method: the teacher-forced NLL per answer token of the test scenes' captions when the
/// frozen VLM sees only the tokens the method keeps. It is the objective DiffPrune's scorer trains on (deployed as hard
/// top-K, as its validation's hard loss), measured for every method on the same scenes; next to Table 1 it tells a scorer
/// that ranks worse on its own objective from one whose objective (captions) differs from the benchmark's (questions).
/// In-LLM methods decide on the prompt, so they have no teacher-forced caption loss and are left out.
/// </summary>
public sealed class CaptionLossTable
{
    /// <summary>One method at one budget: its mean loss over scenes, the interval, and the paired difference to the reference.</summary>
    public sealed record Row(string Method, int Keep, double Loss, ConfidenceInterval? Interval, PairedDifference? Difference);

    /// <summary>The rows: the unpruned model first, then each budget's pre-LLM methods in plan order.</summary>
    public IReadOnlyList<Row> Rows { get; }

    /// <summary>Test scenes whose captions were scored.</summary>
    public int Scenes { get; }

    CaptionLossTable(IReadOnlyList<Row> rows, int scenes) => (Rows, Scenes) = (rows, scenes);

    /// <summary>
    /// Scores every pre-LLM row of <paramref name="plan"/> on the captions of <paramref name="scenes"/>; intervals are percentile
    /// bootstraps over scenes (<paramref name="seed"/>), and each method's difference is paired with DiffPrune's row at the same K
    /// (or, without one, the lowest loss there), resample by resample.
    /// </summary>
    public static CaptionLossTable Compute(VlmInference inference, WordTokenizer tokenizer, IReadOnlyList<Scene> scenes, IReadOnlyList<TableEvaluation.PlannedRow> plan,
        ulong seed = 0, int batchSize = 32)
    {
        var bootstrap = new SceneBootstrap(scenes.Count, SceneBootstrap.DefaultResamples, seed);
        var scored = new List<(TableEvaluation.PlannedRow Row, double[] PerScene)>();
        foreach (var row in plan)
        {
            var method = row.Method.Build(inference.Model);
            if (method.Droppers.Count > 0) continue;
            scored.Add((row, PerScene(inference, tokenizer, scenes, row.Fraction == null ? null : method, batchSize)));
        }
        var samples = scored.Select(s => Resampled(bootstrap, s.PerScene)).ToArray();
        var means = scored.Select(s => s.PerScene.Average()).ToArray();
        var rows = scored.Select((s, i) =>
        {
            int reference = s.Row.Fraction == null ? -1 : Reference(scored.Select(x => x.Row).ToArray(), means, s.Row.Keep);
            var difference = reference < 0 || reference == i ? null
                : PairedDifference.Of(scored[reference].Row.Method.Label, means[i] - means[reference], samples[i], samples[reference]);
            return new Row(s.Row.Method.Label, s.Row.Keep, means[i], ConfidenceInterval.Percentile(samples[i]), difference);
        }).ToArray();
        return new CaptionLossTable(rows, scenes.Count);
    }

    /// <summary>The row the others at budget <paramref name="keep"/> are paired with: DiffPrune's, else the lowest loss (−1: none).</summary>
    static int Reference(TableEvaluation.PlannedRow[] rows, double[] means, int keep)
    {
        var peers = Enumerable.Range(0, rows.Length).Where(j => rows[j].Fraction != null && rows[j].Keep == keep).ToArray();
        if (peers.Length == 0) return -1;
        int diffPrune = peers.FirstOrDefault(j => TableStatistics.IsDiffPrune(rows[j].Method.Label), -1);
        return diffPrune >= 0 ? diffPrune : peers.MinBy(j => means[j]);
    }

    /// <summary>Each scene's caption NLL per answer token with <paramref name="method"/>'s kept tokens (null: all of them).</summary>
    /// <exception cref="ArgumentException">A method with in-LLM stages.</exception>
    public static double[] PerScene(VlmInference inference, WordTokenizer tokenizer, IReadOnlyList<Scene> scenes, IPruningHooks? method, int batchSize = 32)
    {
        var result = new double[scenes.Count];
        using var _ = Autograd.NoGrad();
        for (int start = 0; start < scenes.Count; start += batchSize)
        {
            var batch = scenes.Skip(start).Take(batchSize).ToArray();
            var texts = batch.Select(s => ScenePrompt.TrainingIds(tokenizer, "", s.Caption)).ToArray();
            var ids = texts.Select(t => t.Ids).ToArray();
            var tokens = inference.Encode(batch.Select(s => s.Image).ToArray(), method?.NeedsVisionAttentions ?? false);
            var (_, logits, targets) = inference.AnswerLoss(tokens, method, ids, AnswerTargets.Masks(ids, texts.Select(t => t.AnswerStart).ToArray()));
            RowMeans(logits, targets, batch.Length).CopyTo(result, start);
        }
        return result;
    }

    /// <summary>Mean NLL of the targeted positions of each of <paramref name="rows"/> equal blocks of (rows·T, V) logits.</summary>
    static double[] RowMeans(Tensor logits, int[] targets, int rows)
    {
        int vocab = logits.Shape[1], perRow = targets.Length / rows;
        var data = logits.ToArray();
        var means = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            int count = 0;
            for (int p = r * perRow; p < (r + 1) * perRow; p++)
            {
                if (targets[p] == AnswerTargets.Ignore) continue;
                var logit = data.AsSpan(p * vocab, vocab);
                double max = double.NegativeInfinity, z = 0;
                foreach (float x in logit) max = Math.Max(max, x);
                foreach (float x in logit) z += Math.Exp(x - max);
                sum += max + Math.Log(z) - logit[targets[p]];
                count++;
            }
            means[r] = sum / count;
        }
        return means;
    }

    static double[] Resampled(SceneBootstrap bootstrap, double[] perScene)
    {
        var means = new double[bootstrap.Resamples];
        for (int r = 0; r < means.Length; r++)
        {
            var counts = bootstrap.Counts(r);
            double sum = 0;
            for (int s = 0; s < perScene.Length; s++) sum += counts[s] * perScene[s];
            means[r] = sum / perScene.Length;
        }
        return means;
    }

    /// <summary>The table as a Markdown section.</summary>
    public string Markdown()
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder("## Caption loss of each method's kept tokens\n\n");
        md.AppendLine(inv, $"Teacher-forced NLL per answer token of the captions of the {Scenes} test scenes, with the frozen VLM seeing only the tokens each method keeps (DiffPrune's training objective, deployed as hard top-K); lower is better. 95 % percentile bootstrap over scenes; Δ is paired with DiffPrune at the same K (without it, the lowest loss there); an interval that holds 0 is a tie. In-LLM methods decide on the prompt and have no teacher-forced caption loss.\n");
        md.AppendLine("| Method | K | caption NLL | 95 % CI | Δ [95 % CI] |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var r in Rows)
        {
            string interval = r.Interval is { } i ? string.Create(inv, $"[{i.Lo:F4}, {i.Hi:F4}]") : "—";
            string difference = r.Difference is { } d
                ? string.Create(inv, $"{d.Value:+0.0000;-0.0000;0.0000} [{d.Interval.Lo:+0.0000;-0.0000;0.0000}, {d.Interval.Hi:+0.0000;-0.0000;0.0000}] {d.Verdict.ToString().ToLowerInvariant()}")
                : "reference";
            md.AppendLine(inv, $"| {r.Method} | {r.Keep} | {r.Loss:F4} | {interval} | {difference} |");
        }
        return md.ToString();
    }

    /// <summary>The table as JSON.</summary>
    public string Json() => JsonSerializer.Serialize(new
    {
        scenes = Scenes,
        rows = Rows.Select(r => new
        {
            method = r.Method,
            keep = r.Keep,
            loss = r.Loss,
            interval = r.Interval is { } i ? new { lo = i.Lo, hi = i.Hi } : null,
            difference = r.Difference is { } d ? new { reference = d.Reference, value = d.Value, lo = d.Interval.Lo, hi = d.Interval.Hi, verdict = d.Verdict.ToString() } : null,
        }),
    }, new JsonSerializerOptions(JsonLines.Options) { WriteIndented = true });
}
