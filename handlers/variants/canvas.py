"""Painting a framing: the source resampled into the frame, the canvas extended where it does not reach.

A plain background is continued in its own colour or gradient (the surface the detection fitted to the
border, evaluated on a coarse grid and smoothly enlarged); a photo is continued by a blurred, enlarged
copy of itself. Resampling picks the fastest good resampler for the direction (see `resampling`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from PIL import Image, ImageChops, ImageFilter, ImageMath

from handlers.variants.detect import Detection
from handlers.variants.framing import Framing
from handlers.variants.layout import Box
from handlers.variants.resampling import enlarge, resample

GRID = 48  # the plain extension is evaluated on a grid this many cells across, then smoothly enlarged
FEATHER_RATIO = 0.03  # the source's edge fades into the extension over this share of the frame's shorter side
PANEL = (17, 17, 17)  # a split layout's panel without a brand colour (the palette's default band, #111111)


class Pictures:
    """The source resampled into each framing. Framings at one scale (the three 1200-wide sizes of a cover
    crop share one) are resampled once, as the union of what they show, and each is cropped from that."""

    def __init__(self, image: Image.Image, framings: Iterable[Framing]):
        self.image = image
        by_scale: dict[float, list[SourceBox]] = {}
        for framing in framings:
            by_scale.setdefault(framing.scale, []).append(_source_box(image.size, framing))
        self.unions: dict[float, SourceBox] = {}
        for scale, boxes in by_scale.items():
            union = _union(boxes)
            if len(boxes) > 1 and _area(union) < sum(_area(box) for box in boxes):
                self.unions[scale] = union
        self.resampled: dict[float, Image.Image] = {}

    def picture(self, framing: Framing) -> Image.Image:
        covered = framing.covered(self.image.size)
        size, box = (covered.width, covered.height), _source_box(self.image.size, framing)
        union = self.unions.get(framing.scale)
        if union is None:
            return resample(self.image, box, size)
        scale = framing.scale
        if scale not in self.resampled:
            # Whole pixels at exactly this scale: the union's far edges move out to the next pixel.
            width, height = math.ceil((union[2] - union[0]) * scale), math.ceil((union[3] - union[1]) * scale)
            right, bottom = (
                min(self.image.width, union[0] + width / scale),
                min(self.image.height, union[1] + height / scale),
            )
            reach = (union[0], union[1], right, bottom)  # within the source: at its edge, a hair under a pixel short
            self.resampled[scale] = resample(self.image, reach, (width, height))
        shared = self.resampled[scale]
        left = min(round((box[0] - union[0]) * scale), shared.width - size[0])
        top = min(round((box[1] - union[1]) * scale), shared.height - size[1])
        return shared.crop((left, top, left + size[0], top + size[1]))


SourceBox = tuple[float, float, float, float]


def _source_box(source_size: tuple[int, int], framing: Framing) -> SourceBox:
    """The part of the source (decoded pixels) the framing shows, within the source."""
    covered = framing.covered(source_size)
    s, (ox, oy) = framing.scale, framing.offset
    box = ((covered.left - ox) / s, (covered.top - oy) / s, (covered.right - ox) / s, (covered.bottom - oy) / s)
    return (max(0.0, box[0]), max(0.0, box[1]), min(source_size[0], box[2]), min(source_size[1], box[3]))


def _union(boxes: list[SourceBox]) -> SourceBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _area(box: SourceBox) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def compose(
    image: Image.Image,
    detection: Detection | None,
    framing: Framing,
    pictures: Pictures | None = None,
    panel: tuple[int, int, int] = PANEL,
) -> Image.Image:
    """The framing painted. `pictures`: the resamples shared by the sizes of one product. `panel`: the solid
    colour beside the photo in a split layout."""
    width, height = framing.size
    covered = framing.covered(image.size)
    picture = (pictures or Pictures(image, [framing])).picture(framing)
    if (covered.width, covered.height) == (width, height):
        return picture
    if framing.window is not None:  # a split layout: the photo's panel, a crisp edge, the solid panel
        canvas = Image.new("RGB", (width, height), panel)
        canvas.paste(picture, (covered.left, covered.top))
        return canvas
    if detection is not None and detection.background == "plain" and detection.surface is not None:
        fill = _plain_fill(detection, framing, image.size)
    else:
        fill = _blurred_fill(image, framing.size, detection.box if detection else None)
    canvas = Image.new("RGB", (width, height), None)  # not cleared: the picture and the strips cover it all
    canvas.paste(picture, (covered.left, covered.top))
    for strip, mask in _extension_strips(framing, covered):
        canvas.paste(fill(strip), (strip.left, strip.top), mask)
    return canvas


def _extension_strips(framing: Framing, covered: Box) -> list[tuple[Box, Image.Image | None]]:
    """Where the extension is painted: the frame outside the source in up to four strips (top and bottom full
    width, left and right between them), and, next to each where the product does not reach, a band
    `feather` pixels into the source with a mask fading from the extension into the picture, so the seam
    between the two does not show."""
    width, height = framing.size
    feather = max(2, round(min(width, height) * FEATHER_RATIO))
    ramp = Image.linear_gradient("L").resize((1, feather)).point(lambda v: 255 - v)  # 255 outside, 0 inside
    top, bottom, left, right = covered.top, covered.bottom, covered.left, covered.right
    sides = [  # (extension on this side, the strip outside the source, the band inside it, ramp rotation)
        (top > 0, Box(0, 0, width, top), Box(0, top, width, top + feather), 0),
        (bottom < height, Box(0, bottom, width, height), Box(0, bottom - feather, width, bottom), 180),
        (left > 0, Box(0, top, left, bottom), Box(left, top, left + feather, bottom), 90),
        (right < width, Box(right, top, width, bottom), Box(right - feather, top, right, bottom), 270),
    ]
    strips: list[tuple[Box, Image.Image | None]] = []
    for meets, strip, band, angle in sides:
        if not meets:
            continue
        strips.append((strip, None))
        if framing.product is None or framing.product.overlap(band) == 0:
            strips.append((band, ramp.rotate(angle, expand=True).resize((band.width, band.height))))
    return strips


def _plain_fill(detection: Detection, framing: Framing, source_size: tuple[int, int]) -> Callable[[Box], Image.Image]:
    """Box -> the plain background over that part of the frame: the fitted surface evaluated once on a coarse
    grid (GRID cells across the frame, a value at each cell's centre) and smoothly enlarged."""
    s, (ox, oy) = framing.scale, framing.offset
    cell = framing.size[0] / GRID
    columns, rows = GRID, max(2, math.ceil(framing.size[1] / cell))
    u = [((i + 0.5) * cell - ox) / s / source_size[0] for i in range(columns)]
    v = [((j + 0.5) * cell - oy) / s / source_size[1] for j in range(rows)]
    grid = detection.background_grid(u, v)

    def fill(box: Box) -> Image.Image:
        on_grid = (box.left / cell, box.top / cell, box.right / cell, box.bottom / cell)
        return enlarge(grid, (box.width, box.height), box=on_grid)

    return fill


def _blurred_fill(image: Image.Image, size: tuple[int, int], product: Box | None) -> Callable[[Box], Image.Image]:
    """Box -> that part of the whole source, cover-fitted to the frame at 1/16 scale, blurred and enlarged: a
    soft continuation of the photo's colours that does not compete with the sharp picture. The product's box is
    painted over with the photo around it first, so a product touching the source's edge is not continued as a
    ghost of itself past that edge."""
    small = (max(1, size[0] // 16), max(1, size[1] // 16))
    scale = max(small[0] / image.width, small[1] / image.height)
    reduced = image.resize(
        (max(small[0], round(image.width * scale)), max(small[1], round(image.height * scale))),
        Image.Resampling.BOX,
        reducing_gap=2.0,
    )
    if product is not None:
        hole = (math.floor(product.left * scale), math.floor(product.top * scale))
        reduced = _without(reduced, Box(*hole, math.ceil(product.right * scale), math.ceil(product.bottom * scale)))
    left, top = (reduced.width - small[0]) // 2, (reduced.height - small[1]) // 2
    reduced = reduced.crop((left, top, left + small[0], top + small[1])).filter(ImageFilter.GaussianBlur(2))
    whole = enlarge(reduced, size)
    return lambda box: whole.crop((box.left, box.top, box.right, box.bottom))


def _without(picture: Image.Image, hole: Box) -> Image.Image:
    """`picture` with `hole` filled from the pixels around it (normalized convolution: blurs of the known pixels
    divided by blurs of where they are, over growing radii, until every pixel of the hole has a value)."""
    box = (max(0, hole.left), max(0, hole.top), min(picture.width, hole.right), min(picture.height, hole.bottom))
    if box[0] >= box[2] or box[1] >= box[3] or box == (0, 0, picture.width, picture.height):
        return picture  # nothing to fill, or nothing to fill it from
    known = Image.new("L", picture.size, 255)
    known.paste(0, box)
    missing = ImageChops.invert(known)
    premultiplied = picture.copy()
    premultiplied.paste((0, 0, 0), box)
    filled = premultiplied.copy()
    radius = 1
    while missing.getbbox():
        weight = known.filter(ImageFilter.BoxBlur(radius))
        sums = premultiplied.filter(ImageFilter.BoxBlur(radius)).split()
        reach = ImageChops.multiply(missing, weight.point(lambda w: 255 if w else 0))
        values = [
            ImageMath.lambda_eval(lambda a: a["s"] * 255 / a["max"](a["w"], 1), s=channel, w=weight).convert("L")
            for channel in sums
        ]
        filled.paste(Image.merge("RGB", values), mask=reach)
        missing = ImageChops.subtract(missing, reach)
        radius *= 2
    return filled
