"""Draw Tend's PNG icons from the design in static/icons/icon.svg.

The design, on a 64-unit square: a teal rounded square (corner radius 14), a circle of radius 22
at the centre with a light blue top half and a light peach bottom half, and a teal dot of radius 7.
Pillow has no SVG renderer, so the shapes are drawn here at four times the size and scaled down.

Run: .venv/bin/python tools/make_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

TEAL = "#2f6f73"
BLUE = "#cfe4f5"
PEACH = "#f6e6da"
SUPERSAMPLE = 4
# Four flat colours plus their anti-aliased edges fit a small palette: a fifth of the bytes.
PALETTE_COLOURS = 64
ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"

# (file name, pixel size, rounded corners?) — maskable and Apple icons are full-bleed squares:
# the platform cuts its own shape, and the circle (radius 22/64 ≈ 34 %) sits inside the
# maskable safe zone (a centred circle of radius 40 %).
OUTPUTS = (
    ("icon-192.png", 192, True),
    ("icon-512.png", 512, True),
    ("icon-maskable-512.png", 512, False),
    ("apple-touch-icon.png", 180, False),
)


def draw_icon(size: int, rounded: bool) -> Image.Image:
    """Return the icon at `size` pixels, with transparent rounded corners if `rounded`."""
    big = size * SUPERSAMPLE
    unit = big / 64
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(14 * unit), fill=TEAL)
    else:
        draw.rectangle((0, 0, big - 1, big - 1), fill=TEAL)
    c, r, dot = 32 * unit, 22 * unit, 7 * unit
    disc = (c - r, c - r, c + r, c + r)
    draw.pieslice(disc, 180, 360, fill=BLUE)
    draw.pieslice(disc, 0, 180, fill=PEACH)
    draw.ellipse((c - dot, c - dot, c + dot, c + dot), fill=TEAL)
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    if rounded:
        return small.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE)
    return small.convert("RGB").quantize(PALETTE_COLOURS)


def main() -> None:
    for name, size, rounded in OUTPUTS:
        path = ICONS / name
        draw_icon(size, rounded).save(path, optimize=True)
        print(f"{path.relative_to(ICONS.parent.parent)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
