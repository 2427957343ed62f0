namespace DiffPrune.Models.Vlm;

/// <summary>
/// Where the visual tokens of one LLaVA-NeXT (AnyRes) image come from and where they go, in llava-hf's
/// <c>pack_image_features</c> order: first the g×g patches of the base view (the whole image resized to the tower's
/// input), then the tiles' patches arranged as one (R·g)×(C·g) grid for R×C tiles, unpadded to the rows and columns that
/// hold the image, row by row, each row followed by one <c>image_newline</c> token.
/// </summary>
/// <param name="OriginalHeight">The image's height before resizing.</param>
/// <param name="OriginalWidth">The image's width before resizing.</param>
/// <param name="Resolution">The pinpoint (height, width) chosen by <see cref="AnyResGeometry.SelectBestResolution"/>.</param>
/// <param name="TileSize">The tower's input side (pixels per tile side).</param>
/// <param name="PatchGrid">Patches per tile side g.</param>
/// <param name="Unpadded">The rows and columns of the full grid that survive unpadding.</param>
public sealed record AnyResLayout(int OriginalHeight, int OriginalWidth, (int Height, int Width) Resolution, int TileSize, int PatchGrid,
    (int Top, int Rows, int Left, int Columns) Unpadded)
{
    /// <summary>The layout of an image of <paramref name="height"/>×<paramref name="width"/> under <paramref name="cfg"/>'s pinpoints.</summary>
    /// <exception cref="ArgumentException">A model without pinpoints, or a size below 1.</exception>
    public static AnyResLayout For(int height, int width, LlavaConfig cfg)
    {
        var pinpoints = cfg.ImageGridPinpoints ?? throw new ArgumentException("this model has no image_grid_pinpoints: AnyRes needs a LLaVA-NeXT config");
        var best = AnyResGeometry.SelectBestResolution(height, width, pinpoints);
        int tile = cfg.Vision.ImageSize, g = cfg.Vision.GridSize;
        var unpadded = AnyResGeometry.Unpad(height, width, best.Height / tile * g, best.Width / tile * g);
        return new AnyResLayout(height, width, best, tile, g, unpadded);
    }

    /// <summary>Tile rows R.</summary>
    public int TileRows => Resolution.Height / TileSize;
    /// <summary>Tile columns C.</summary>
    public int TileColumns => Resolution.Width / TileSize;
    /// <summary>Views the tower encodes: the base view and R·C tiles.</summary>
    public int Views => 1 + TileRows * TileColumns;
    /// <summary>Base-view tokens g².</summary>
    public int BaseTokens => PatchGrid * PatchGrid;
    /// <summary>Visual tokens N (base view and unpadded grid; newlines are not visual tokens).</summary>
    public int VisualTokens => BaseTokens + Unpadded.Rows * Unpadded.Columns;
    /// <summary>Positions the image spans in the LLM input: N plus one newline per unpadded row.</summary>
    public int SpanLength => VisualTokens + Unpadded.Rows;

    /// <summary>The span (length and newline positions) this image occupies in the LLM input.</summary>
    public VisualSpan Span() =>
        new(SpanLength, Enumerable.Range(0, Unpadded.Rows).Select(r => BaseTokens + r * (Unpadded.Columns + 1) + Unpadded.Columns).ToArray());

    /// <summary>Per visual token, its position inside the span (ascending): base patches 0..g²−1, then the grid's rows, each one slot wider for its newline.</summary>
    public int[] Positions()
    {
        var positions = new int[VisualTokens];
        for (int i = 0; i < BaseTokens; i++) positions[i] = i;
        int cols = Unpadded.Columns;
        for (int r = 0; r < Unpadded.Rows; r++)
            for (int c = 0; c < cols; c++)
                positions[BaseTokens + r * cols + c] = BaseTokens + r * (cols + 1) + c;
        return positions;
    }

    /// <summary>
    /// Per visual token, the part of the original image it shows, in pixels: rows [Top, Bottom) and columns [Left, Right).
    /// A base-view patch shows its share of the whole (stretched) image; a grid patch its cell of the pinpoint canvas,
    /// mapped back through the aspect-keeping resize and the centring (<see cref="AnyResTiler.Padded"/>).
    /// </summary>
    public (double Top, double Left, double Bottom, double Right)[] Regions()
    {
        var regions = new (double, double, double, double)[VisualTokens];
        int g = PatchGrid, cols = Unpadded.Columns;
        double baseH = (double)OriginalHeight / g, baseW = (double)OriginalWidth / g;
        for (int i = 0; i < BaseTokens; i++)
            regions[i] = (i / g * baseH, i % g * baseW, (i / g + 1) * baseH, (i % g + 1) * baseW);
        var (fitH, fitW) = AnyResGeometry.FitInside(OriginalHeight, OriginalWidth, Resolution);
        int top = (Resolution.Height - fitH) / 2, left = (Resolution.Width - fitW) / 2;
        double scaleH = (double)fitH / OriginalHeight, scaleW = (double)fitW / OriginalWidth, patch = (double)TileSize / g;
        for (int r = 0; r < Unpadded.Rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int y = Unpadded.Top + r, x = Unpadded.Left + c;
                regions[BaseTokens + r * cols + c] = (Math.Max(0, (y * patch - top) / scaleH), Math.Max(0, (x * patch - left) / scaleW),
                    Math.Min(OriginalHeight, ((y + 1) * patch - top) / scaleH), Math.Min(OriginalWidth, ((x + 1) * patch - left) / scaleW));
            }
        return regions;
    }

    /// <summary>
    /// Per visual token, its row in the tower's output flattened as (views · g², d_v): view 0 is the base view, view
    /// 1 + t·C + u the tile in tile-row t, tile-column u (row-major, as llava-hf cuts them).
    /// </summary>
    public int[] SourceRows()
    {
        int g = PatchGrid, cols = Unpadded.Columns;
        var rows = new int[VisualTokens];
        for (int i = 0; i < BaseTokens; i++) rows[i] = i;
        for (int r = 0; r < Unpadded.Rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int y = Unpadded.Top + r, x = Unpadded.Left + c;
                int view = 1 + y / g * TileColumns + x / g;
                rows[BaseTokens + r * cols + c] = view * g * g + y % g * g + x % g;
            }
        return rows;
    }
}
