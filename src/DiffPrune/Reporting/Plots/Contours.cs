namespace DiffPrune.Reporting.Plots;

/// <summary>One straight piece of a contour line, in the grid's coordinates.</summary>
public readonly record struct ContourSegment(double X0, double Y0, double X1, double Y1);

/// <summary>
/// Iso-lines of a function sampled on a rectilinear grid by marching squares: each grid cell whose corners straddle the
/// level contributes one segment (two at a saddle, split by the cell's mean value), with end points placed by linear
/// interpolation along the cell's edges.
/// </summary>
public static class Contours
{
    /// <summary>The segments of the level set {v = <paramref name="level"/>}; <paramref name="values"/>[i][j] is the value at (xs[i], ys[j]).</summary>
    /// <exception cref="ArgumentException">Fewer than two coordinates per axis, or values of another shape.</exception>
    public static List<ContourSegment> Segments(IReadOnlyList<double> xs, IReadOnlyList<double> ys, IReadOnlyList<IReadOnlyList<double>> values, double level)
    {
        if (xs.Count < 2 || ys.Count < 2 || values.Count != xs.Count || values.Any(col => col.Count != ys.Count))
            throw new ArgumentException($"contours need a grid of at least 2×2 values shaped [{xs.Count}][{ys.Count}]");
        var segments = new List<ContourSegment>();
        for (int i = 0; i + 1 < xs.Count; i++)
            for (int j = 0; j + 1 < ys.Count; j++)
            {
                // corners counter-clockwise from (x_i, y_j): 0 = (i, j), 1 = (i+1, j), 2 = (i+1, j+1), 3 = (i, j+1)
                double[] v = [values[i][j], values[i + 1][j], values[i + 1][j + 1], values[i][j + 1]];
                if (v.Any(double.IsNaN)) continue;
                (double X, double Y)[] corner = [(xs[i], ys[j]), (xs[i + 1], ys[j]), (xs[i + 1], ys[j + 1]), (xs[i], ys[j + 1])];
                // edge e joins corner e and corner e+1; crossing points on the edges whose ends straddle the level
                var cross = new (double X, double Y)?[4];
                for (int e = 0; e < 4; e++)
                {
                    double a = v[e], b = v[(e + 1) % 4];
                    if ((a < level) == (b < level)) continue;
                    double t = (level - a) / (b - a);
                    var (p, q) = (corner[e], corner[(e + 1) % 4]);
                    cross[e] = (p.X + t * (q.X - p.X), p.Y + t * (q.Y - p.Y));
                }
                var hit = Enumerable.Range(0, 4).Where(e => cross[e] != null).ToArray();
                if (hit.Length == 2) Add(segments, cross[hit[0]]!.Value, cross[hit[1]]!.Value);
                else if (hit.Length == 4)
                {
                    // saddle: the centre joins the corners on its side; cut off the two corners on the other side
                    // (corner 1 lies between edges 0 and 1, corner 3 between 2 and 3, corner 0 between 3 and 0, corner 2 between 1 and 2)
                    bool centreBelow = v.Average() < level, corner0Below = v[0] < level;
                    if (centreBelow == corner0Below) { Add(segments, cross[0]!.Value, cross[1]!.Value); Add(segments, cross[2]!.Value, cross[3]!.Value); }
                    else { Add(segments, cross[3]!.Value, cross[0]!.Value); Add(segments, cross[1]!.Value, cross[2]!.Value); }
                }
            }
        return segments;
    }

    static void Add(List<ContourSegment> segments, (double X, double Y) a, (double X, double Y) b) => segments.Add(new(a.X, a.Y, b.X, b.Y));
}
