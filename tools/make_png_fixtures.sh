#!/usr/bin/env bash
# Regenerates tests/DiffPrune.Tests/Data/Fixtures: small PNGs written by standard encoders outside this project,
# each with the pixels the same tools decode it to, so the tests can compare our decoder pixel by pixel.
#
#   ImageMagick (convert)  every colour type at 8 and 16 bits, gray at 1/2/4 bits, 4- and 8-bit palettes with and
#                          without tRNS, Adam7.
#   netpbm (pnmtopng)      one file per row filter (-nofilter/-sub/-up/-avg/-paeth) per pixel layout, 1- and 2-bit
#                          palettes (ImageMagick 6 refuses those), tRNS for gray and RGB. (ImageMagick 6's
#                          png:compression-filter does not force a filter.)
#   Pillow                 a second decoder: every 8-bit-or-less fixture must decode to the same RGBA in Pillow and
#                          ImageMagick.
#
# Expected pixels (X.rgba: straight RGBA, 4 bytes per pixel, rows top to bottom): `convert X.png -depth 8 rgba:X.rgba`.
# For 16-bit files the expected 8-bit values are round(v / 257) of the source samples (libpng's png_set_scale_16
# rule, the nearest 8-bit value), computed here; ImageMagick 6 truncates instead, and it must agree within 1.
# manifest.tsv: name, width, height, bit depth, colour type, interlace, and the set of row filters the file uses,
# read from the file by an independent Python parser.
#
# Then it checks our encoder against the outside decoders: a throwaway C# program (dotnet run on a file that
# references src/DiffPrune) encodes random images with every filter strategy, and ImageMagick and Pillow must
# decode each one to the pixels it started from. Nothing from that step is committed.
#
# Needs: apt-get install imagemagick netpbm python3-pil (uses /usr/bin/convert: a `convert` earlier on PATH may
# be a stand-in that cannot write PNGs). Usage: tools/make_png_fixtures.sh [--no-encoder-check]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=tests/DiffPrune.Tests/Data/Fixtures
IM=/usr/bin/convert
PY=/usr/bin/python3

[ -x "$IM" ] || { echo "ImageMagick not found at $IM (apt-get install imagemagick)" >&2; exit 1; }
command -v pnmtopng >/dev/null || { echo "pnmtopng not found (apt-get install netpbm)" >&2; exit 1; }
"$PY" -c "import PIL" 2>/dev/null || { echo "Pillow not found for $PY (apt-get install python3-pil)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------- sources (deterministic)
"$PY" - "$TMP" <<'EOF'
import random, struct, sys
d = sys.argv[1]
rng = random.Random(20240607)
def w(name, data): open(f"{d}/{name}", "wb").write(bytes(data))
def pnm(name, magic, width, height, maxval, samples):
    body = b"".join(struct.pack(">H", s) for s in samples) if maxval > 255 else bytes(samples)
    open(f"{d}/{name}", "wb").write(f"{magic}\n{width} {height}\n{maxval}\n".encode() + body)

W, H = 7, 5
# colour noise with every alpha class: 0, 1, mid, 254, 255
rgb = [rng.randrange(256) for _ in range(W * H * 3)]
alpha = [rng.choice([0, 1, 64, 127, 128, 200, 254, 255, 255, 255]) for _ in range(W * H)]
w("rgb8.rgb", rgb)
w("rgba8.rgba", [v for i in range(W * H) for v in rgb[3 * i:3 * i + 3] + [alpha[i]]])
gray = [rng.randrange(256) for _ in range(W * H)]
w("gray8.gray", gray)
w("grayalpha8.rgba", [v for i in range(W * H) for v in (gray[i],) * 3 + (alpha[i],)])
# palettes of 2, 4, 6, 13 colours; the 6-colour one also with translucent entries
colours = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(13)]
for n, name in [(13, "palette8"), (6, "palette4")]:
    w(name + ".rgb", [v for _ in range(W * H) for v in colours[rng.randrange(n)]])
for n, name in [(4, "palette2"), (2, "palette1")]:  # pnmtopng picks the smallest bit depth for the colour count
    pnm(name + ".ppm", "P6", W, H, 255, [v for _ in range(W * H) for v in colours[rng.randrange(n)]])
# palettes with tRNS (pnmtopng; ImageMagick 6 drops the alpha): alpha is a function of the colour, so each
# (colour, alpha) pair is one palette entry; 6 entries fit 4 bits, 20 need 8
many = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(20)]
entry_alpha = [rng.choice([0, 40, 128, 255, 255]) for _ in range(20)]
for n, name in [(6, "palette4_trns"), (20, "palette8_trns")]:
    idx = [i % n if i < n else rng.randrange(n) for i in range(W * H)]  # every entry occurs
    pnm(name + ".ppm", "P6", W, H, 255, [v for i in idx for v in many[i]])
    pnm(name + ".alpha.pgm", "P5", W, H, 255, [entry_alpha[i] for i in idx])
# low-bit gray: exact multiples so they survive the depth reduction
for bits in (1, 2, 4):
    step = 255 // ((1 << bits) - 1)
    w(f"gray{bits}.gray", [rng.randrange(1 << bits) * step for _ in range(W * H)])
# 16-bit sources (big-endian samples)
for name, ch in [("gray16", 1), ("grayalpha16", 2), ("rgb16", 3), ("rgba16", 4)]:
    s = [rng.randrange(65536) for _ in range(W * H * ch)]
    if ch == 2:  # ImageMagick reads gray+alpha from RGBA with equal colour samples
        s4 = [v for i in range(W * H) for v in (s[2 * i],) * 3 + (s[2 * i + 1],)]
        open(f"{d}/{name}.raw", "wb").write(b"".join(struct.pack(">H", v) for v in s4))
    else:
        open(f"{d}/{name}.raw", "wb").write(b"".join(struct.pack(">H", v) for v in s))
    s8 = [(v * 255 + 32767) // 65535 for v in s]  # round(v / 257)
    px = {1: lambda i: (s8[i],) * 3 + (255,), 2: lambda i: (s8[2 * i],) * 3 + (s8[2 * i + 1],),
          3: lambda i: tuple(s8[3 * i:3 * i + 3]) + (255,), 4: lambda i: tuple(s8[4 * i:4 * i + 4])}[ch]
    w(name + ".expect", [v for i in range(W * H) for v in px(i)])
# Adam7: 13x11 reaches every pass with several rows; 3x2 leaves passes 2, 3 and 5 empty
w("interlaced.rgba", [rng.randrange(256) if c < 3 else rng.choice([0, 99, 255]) for _ in range(13 * 11) for c in range(4)])
w("interlaced_small.rgb", [rng.randrange(256) for _ in range(3 * 2 * 3)])
w("palette4_interlaced.rgb", [v for _ in range(13 * 11) for v in colours[rng.randrange(6)]])

# smooth gradients plus a little noise for the filter files, so every filter changes the bytes (13x11)
FW, FH = 13, 11
# The lower rows are ramps along which the Paeth predictor ties: with left a = c + d and up b = c - 2d (upper-left c),
# p = a + b - c is as far from b as from c, and the spec picks b; the last rows tie a with c the same way. A decoder
# that breaks ties differently fails on them.
def smooth(x, y, c):
    if y >= FH - 3: return (128 + 7 * x - 14 * y + c * 50) % 256
    if y >= FH // 2: return (128 - 14 * x + 7 * y + c * 50) % 256
    return max(0, min(255, (x * 17 + y * 9 + c * 50) % 256 + rng.randrange(-3, 4)))
pnm("filter_rgb.ppm", "P6", FW, FH, 255, [smooth(x, y, c) for y in range(FH) for x in range(FW) for c in range(3)])
pnm("filter_gray.pgm", "P5", FW, FH, 255, [smooth(x, y, 0) for y in range(FH) for x in range(FW)])
pnm("filter_alpha.pgm", "P5", FW, FH, 255, [(x * 20 + y * 3) % 256 for y in range(FH) for x in range(FW)])
rgb16 = [max(0, min(65535, smooth(x, y, c) * 257 + rng.randrange(-300, 301))) for y in range(FH) for x in range(FW) for c in range(3)]
pnm("filter_rgb16.ppm", "P6", FW, FH, 65535, rgb16)
w("rgb16_filter.expect", [v for i in range(FW * FH) for v in [(x * 255 + 32767) // 65535 for x in rgb16[3 * i:3 * i + 3]] + [255]])
# tRNS in gray and RGB files: one transparent value that occurs in the image
pnm("trns_gray.pgm", "P5", W, H, 255, [(x * 37 + y * 11) % 256 for y in range(H) for x in range(W)])
pnm("trns_rgb.ppm", "P6", W, H, 255, [[(10, 20, 30), (200, 100, 50), (7, 7, 7)][(x + y) % 3][c]
                                      for y in range(H) for x in range(W) for c in range(3)])
EOF

# ---------------------------------------------------------------- encode with the outside tools
S="-size 7x5"
K="-define png:exclude-chunk=date,time"   # no timestamps: regenerating gives the same bytes
png() { local name=$1; shift; "$IM" "$@" $K "$TMP/out/$name.png"; }
mkdir -p "$TMP/out"
png gray8        $S -depth 8 gray:"$TMP/gray8.gray"          -define png:color-type=0 -define png:bit-depth=8
png gray4        $S -depth 8 gray:"$TMP/gray4.gray"          -define png:color-type=0 -define png:bit-depth=4
png gray2        $S -depth 8 gray:"$TMP/gray2.gray"          -define png:color-type=0 -define png:bit-depth=2
png gray1        $S -depth 8 gray:"$TMP/gray1.gray"          -define png:color-type=0 -define png:bit-depth=1
png grayalpha8   $S -depth 8 rgba:"$TMP/grayalpha8.rgba"     -define png:color-type=4 -define png:bit-depth=8
png rgb8         $S -depth 8 rgb:"$TMP/rgb8.rgb"             -define png:color-type=2 -define png:bit-depth=8
png rgba8        $S -depth 8 rgba:"$TMP/rgba8.rgba"          -define png:color-type=6 -define png:bit-depth=8
png palette8     $S -depth 8 rgb:"$TMP/palette8.rgb"         -define png:color-type=3 -define png:bit-depth=8
png palette4     $S -depth 8 rgb:"$TMP/palette4.rgb"         -define png:color-type=3 -define png:bit-depth=4
png gray16       $S -depth 16 -endian MSB gray:"$TMP/gray16.raw"       -define png:color-type=0 -define png:bit-depth=16
png grayalpha16  $S -depth 16 -endian MSB rgba:"$TMP/grayalpha16.raw"  -define png:color-type=4 -define png:bit-depth=16
png rgb16        $S -depth 16 -endian MSB rgb:"$TMP/rgb16.raw"         -define png:color-type=2 -define png:bit-depth=16
png rgba16       $S -depth 16 -endian MSB rgba:"$TMP/rgba16.raw"       -define png:color-type=6 -define png:bit-depth=16
png rgba8_interlaced    -size 13x11 -depth 8 rgba:"$TMP/interlaced.rgba"     -define png:color-type=6 -define png:bit-depth=8 -interlace PNG
png rgb8_interlaced_3x2 -size 3x2 -depth 8 rgb:"$TMP/interlaced_small.rgb"   -define png:color-type=2 -define png:bit-depth=8 -interlace PNG
png palette4_interlaced -size 13x11 -depth 8 rgb:"$TMP/palette4_interlaced.rgb" -define png:color-type=3 -define png:bit-depth=4 -interlace PNG

filters=(nofilter sub up avg paeth)
for f in 0 1 2 3 4; do
  opt=-${filters[$f]}
  pnmtopng -force $opt "$TMP/filter_gray.pgm" > "$TMP/out/gray8_filter$f.png"
  pnmtopng -force $opt -alpha="$TMP/filter_alpha.pgm" "$TMP/filter_gray.pgm" > "$TMP/out/grayalpha8_filter$f.png"
  pnmtopng -force $opt "$TMP/filter_rgb.ppm" > "$TMP/out/rgb8_filter$f.png"
  pnmtopng -force $opt -alpha="$TMP/filter_alpha.pgm" "$TMP/filter_rgb.ppm" > "$TMP/out/rgba8_filter$f.png"
  pnmtopng -force $opt "$TMP/filter_rgb16.ppm" > "$TMP/out/rgb16_filter$f.png"
done
pnmtopng "$TMP/palette2.ppm" > "$TMP/out/palette2.png"
pnmtopng "$TMP/palette1.ppm" > "$TMP/out/palette1.png"
pnmtopng -interlace "$TMP/palette2.ppm" > "$TMP/out/palette2_interlaced.png"
for name in palette4_trns palette8_trns; do pnmtopng -alpha="$TMP/$name.alpha.pgm" "$TMP/$name.ppm" > "$TMP/out/$name.png"; done
pnmtopng -force -transparent=rgb:25/25/25 "$TMP/trns_gray.pgm" > "$TMP/out/gray8_trns.png"  # gray 37 is transparent
pnmtopng -force -transparent=rgb:c8/64/32 "$TMP/trns_rgb.ppm" > "$TMP/out/rgb8_trns.png"    # (200, 100, 50) is transparent

for f in "$TMP"/out/*.png; do "$IM" "$f" -depth 8 rgba:"${f%.png}.rgba"; done

# ---------------------------------------------------------------- check the fixtures, write the manifest
"$PY" - "$TMP" <<'EOF'
import struct, sys, zlib
from pathlib import Path
from PIL import Image
d = Path(sys.argv[1]); out = d / "out"
CH = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
def info(p):
    b = p.read_bytes(); i = 8; idat = b""
    while i < len(b):
        n, t = struct.unpack(">I4s", b[i:i + 8])
        if t == b"IHDR": wd, ht, bd, ct, _, _, il = struct.unpack(">IIBBBBB", b[i + 8:i + 21])
        if t == b"IDAT": idat += b[i + 8:i + 8 + n]
        i += 12 + n
    raw = zlib.decompress(idat); filters = set(); pos = 0
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] if il else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        pw = (wd - x0 + dx - 1) // dx if wd > x0 else 0; ph = (ht - y0 + dy - 1) // dy if ht > y0 else 0
        if pw == 0 or ph == 0: continue
        rb = (pw * CH[ct] * bd + 7) // 8
        for _ in range(ph): filters.add(raw[pos]); pos += 1 + rb
    return wd, ht, bd, ct, il, filters
rows = []; bad = []
for p in sorted(out.glob("*.png")):
    wd, ht, bd, ct, il, filters = info(p)
    expect = p.with_suffix(".rgba").read_bytes()
    assert len(expect) == wd * ht * 4, p
    if bd == 16:
        exact = (d / f"{p.stem.split('_')[0]}{'_filter' if 'filter' in p.stem else ''}.expect").read_bytes()
        if len(exact) != len(expect) or max(abs(a - b) for a, b in zip(exact, expect)) > 1:
            bad.append(f"{p.name}: ImageMagick's 8-bit samples are more than 1 away from round(v/257)")
        p.with_suffix(".rgba").write_bytes(exact)
    else:
        pil = Image.open(p).convert("RGBA").tobytes()
        if pil != expect: bad.append(f"{p.name}: Pillow and ImageMagick disagree")
    rows.append(f"{p.stem}\t{wd}\t{ht}\t{bd}\t{ct}\t{il}\t{','.join(map(str, sorted(filters)))}")
if bad: sys.exit("fixture check failed:\n  " + "\n  ".join(bad))
(out / "manifest.tsv").write_text("# name\twidth\theight\tbit_depth\tcolor_type\tinterlace\tfilters_used\n" + "\n".join(rows) + "\n")
print(f"{len(rows)} fixtures checked (Pillow agrees with ImageMagick; 16-bit samples are round(v/257))")
EOF

rm -rf "$OUT"
mkdir -p "$OUT"
cp "$TMP"/out/*.png "$TMP"/out/*.rgba "$TMP"/out/manifest.tsv "$OUT"/
echo "wrote $(ls "$OUT" | wc -l) files to $OUT ($(du -sk "$OUT" | cut -f1) KiB)"

# ---------------------------------------------------------------- our encoder, read back by ImageMagick and Pillow
[ "${1:-}" = "--no-encoder-check" ] && exit 0
mkdir -p "$TMP/enc"
cat > "$TMP/enc/encode.cs" <<EOF
#:property PublishAot=false
#:project $ROOT/src/DiffPrune/DiffPrune.csproj
using DiffPrune.Data.Images;
var dir = args[0];
var rng = new Random(7);
foreach (var (w, h) in new[] { (1, 1), (2, 3), (7, 5), (17, 13), (64, 3) })
    foreach (PngFilterStrategy f in Enum.GetValues<PngFilterStrategy>())
    {
        var rgba = new byte[w * h * 4];
        for (int i = 0; i < rgba.Length; i++) rgba[i] = (byte)(i % 4 == 3 ? rng.Next(4) * 85 : (i * 7 + rng.Next(3)) % 256);
        var image = new RgbaImage(w, h, rgba, hasAlpha: true);
        PngEncoder.Save(image, Path.Combine(dir, \$"rgba_{w}x{h}_{f}.png"), f);
        File.WriteAllBytes(Path.Combine(dir, \$"rgba_{w}x{h}_{f}.expect"), rgba);
        var opaque = new RgbaImage(w, h, (byte[])rgba.Clone(), hasAlpha: false);
        for (int i = 3; i < rgba.Length; i += 4) opaque.Rgba[i] = 255;
        PngEncoder.Save(opaque, Path.Combine(dir, \$"rgb_{w}x{h}_{f}.png"), f);
        File.WriteAllBytes(Path.Combine(dir, \$"rgb_{w}x{h}_{f}.expect"), opaque.Rgba);
        var gray = new byte[w * h];
        for (int i = 0; i < gray.Length; i++) gray[i] = rgba[4 * i];
        PngEncoder.SaveGray(w, h, gray, Path.Combine(dir, \$"gray_{w}x{h}_{f}.png"), f);
        var grayRgba = new byte[w * h * 4];
        for (int i = 0; i < gray.Length; i++) { grayRgba[4 * i] = grayRgba[4 * i + 1] = grayRgba[4 * i + 2] = gray[i]; grayRgba[4 * i + 3] = 255; }
        File.WriteAllBytes(Path.Combine(dir, \$"gray_{w}x{h}_{f}.expect"), grayRgba);
    }
EOF
echo "building a throwaway encoder program (first run takes a minute)"
dotnet run "$TMP/enc/encode.cs" -- "$TMP/enc" >/dev/null
n=0
for f in "$TMP"/enc/*.png; do
  "$IM" "$f" -depth 8 rgba:"${f%.png}.im"
  cmp -s "${f%.png}.im" "${f%.png}.expect" || { echo "ImageMagick decodes $(basename "$f") differently" >&2; exit 1; }
  n=$((n + 1))
done
"$PY" - "$TMP/enc" <<'EOF'
import sys
from pathlib import Path
from PIL import Image
for p in sorted(Path(sys.argv[1]).glob("*.png")):
    if Image.open(p).convert("RGBA").tobytes() != p.with_suffix(".expect").read_bytes():
        sys.exit(f"Pillow decodes {p.name} differently")
EOF
echo "our encoder: $n PNGs (RGB, RGBA, gray; every filter strategy; 1x1..64x3) decode to the same pixels in ImageMagick and Pillow"
