"""Draw the bundled existing asset `samples/existing-assets/acme/citrus/product.png` (run once, committed).

A studio-style product shot of a citrus sparkling-water can: sweep backdrop, soft floor shadow, the can
with a lemon-lime label, and citrus slices beside it. Deterministic, so re-running gives the same file.

    .venv/bin/python -m tools.make_sample_asset
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "samples" / "existing-assets" / "acme" / "citrus" / "product.png"
FONT = ROOT / "handlers" / "shared" / "fonts" / "DejaVuSans-Bold.ttf"
SIZE = 1024


def vertical_gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def slice_of(radius: int, rind: tuple[int, int, int], flesh: tuple[int, int, int]) -> Image.Image:
    """A citrus slice seen from above: rind, pith, segments."""
    tile = Image.new("RGBA", (radius * 2, radius * 2), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tile)
    draw.ellipse((0, 0, radius * 2 - 1, radius * 2 - 1), fill=rind + (255,))
    draw.ellipse((radius * 0.08, radius * 0.08, radius * 1.92, radius * 1.92), fill=(250, 246, 225, 255))
    for segment in range(10):
        start = segment * 36 + 3
        draw.pieslice(
            (radius * 0.16, radius * 0.16, radius * 1.84, radius * 1.84), start, start + 30, fill=flesh + (255,)
        )
    draw.ellipse((radius * 0.9, radius * 0.9, radius * 1.1, radius * 1.1), fill=(250, 246, 225, 255))
    return tile


def draw() -> Image.Image:
    image = vertical_gradient((SIZE, SIZE), (236, 248, 240), (150, 205, 190))
    # Floor shadow under the can.
    shadow = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(shadow).ellipse((330, 850, 700, 910), fill=150)
    image.paste((30, 60, 50), mask=shadow.filter(ImageFilter.GaussianBlur(18)))

    # The can: a body with horizontal shading, rims top and bottom.
    left, right, top, bottom = 370, 660, 250, 880
    body = Image.new("RGB", (right - left, bottom - top))
    for x in range(body.width):
        light = 0.55 + 0.45 * math.sin(math.pi * (x / body.width) ** 0.8)
        body.paste((int(40 + 200 * light), int(120 + 110 * light), int(40 + 40 * light)), (x, 0, x + 1, body.height))
    mask = Image.new("L", body.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, body.width - 1, body.height - 1), radius=38, fill=255)
    image.paste(body, (left, top), mask)
    canvas = ImageDraw.Draw(image)
    canvas.rounded_rectangle(
        (left + 6, top - 22, right - 6, top + 18), radius=16, fill=(205, 210, 208), outline=(160, 166, 164), width=3
    )
    canvas.rounded_rectangle((left + 10, bottom - 22, right - 10, bottom + 6), radius=12, fill=(190, 196, 194))
    # Label band with the product name.
    canvas.rectangle((left, 470, right, 660), fill=(255, 252, 235))
    canvas.rectangle((left, 470, right, 484), fill=(255, 205, 40))
    canvas.rectangle((left, 646, right, 660), fill=(255, 205, 40))
    font = ImageFont.truetype(str(FONT), 46)
    small = ImageFont.truetype(str(FONT), 24)
    canvas.text(((left + right) / 2, 545), "CITRUS", font=font, fill=(34, 110, 50), anchor="mm")
    canvas.text(((left + right) / 2, 600), "sparkling water", font=small, fill=(90, 110, 90), anchor="mm")
    for n in range(9):  # bubbles
        x, y, r = left + 40 + (n * 67) % 220, 300 + (n * 41) % 150, 6 + n % 3 * 3
        canvas.ellipse((x - r, y - r, x + r, y + r), outline=(255, 255, 255), width=2)

    lemon = slice_of(110, (240, 200, 30), (255, 226, 90))
    lime = slice_of(90, (70, 150, 40), (170, 215, 90))
    image.paste(lemon, (130, 700), lemon)
    image.paste(lime, (700, 740), lime)
    return image


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    # An adaptive palette keeps the committed file small (well under 300 KB) with no visible banding.
    draw().quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(
        TARGET, optimize=True
    )
    print(f"{TARGET.relative_to(ROOT)}: {TARGET.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
