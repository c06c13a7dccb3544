"""Painting a framing: the source resampled into the frame, the canvas extended where it does not reach.

A plain background is continued in its own colour or gradient (the surface the detection fitted to the
border, evaluated on a coarse grid and smoothly enlarged); a photo is continued by a blurred, enlarged
copy of itself. Resampling picks the fastest good resampler for the direction (see `resample`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy
from PIL import Image, ImageFilter

from handlers.variants.detect import Detection
from handlers.variants.framing import Framing
from handlers.variants.layout import Box

GRID = 48  # the plain extension is evaluated on a grid this many cells across, then smoothly enlarged
MILD_SHRINK = 0.7  # from here up (a slight shrink, or any enlargement) OpenCV's bilinear is sharp and fast
FEATHER_RATIO = 0.03  # the source's edge fades into the extension over this share of the frame's shorter side


def compose(
    image: Image.Image,
    detection: Detection | None,
    framing: Framing,
    arrays: dict[str, numpy.ndarray[Any, Any]] | None = None,
) -> Image.Image:
    """The framing painted. `arrays`: a cache shared by the sizes of one product, so the image is turned into
    an array once, and only if some size resamples with OpenCV."""
    width, height = framing.size
    covered = framing.covered(image.size)
    s, (ox, oy) = framing.scale, framing.offset
    box = ((covered.left - ox) / s, (covered.top - oy) / s, (covered.right - ox) / s, (covered.bottom - oy) / s)
    box = (max(0.0, box[0]), max(0.0, box[1]), min(image.width, box[2]), min(image.height, box[3]))
    picture = resample(image, box, (covered.width, covered.height), arrays)
    if (covered.width, covered.height) == (width, height):
        return picture
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
    """Box -> the plain background over that part of the frame: the fitted surface evaluated on a coarse grid
    (GRID cells across the frame) and smoothly enlarged."""
    s, (ox, oy) = framing.scale, framing.offset
    cell = framing.size[0] / GRID

    def fill(box: Box) -> Image.Image:
        columns, rows = max(2, round(box.width / cell)), max(2, round(box.height / cell))
        u = (numpy.linspace(box.left, box.right, columns) - ox) / s / source_size[0]
        v = (numpy.linspace(box.top, box.bottom, rows) - oy) / s / source_size[1]
        return _enlarge(detection.background_at(*numpy.meshgrid(u, v)), (box.width, box.height))

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
    whole = _enlarge(numpy.asarray(reduced), size)
    return lambda box: whole.crop((box.left, box.top, box.right, box.bottom))


def _without(picture: Image.Image, hole: Box) -> Image.Image:
    """`picture` with `hole` filled from the pixels around it (normalized convolution: blurs of the known pixels
    divided by blurs of where they are, over growing radii, until every pixel of the hole has a value)."""
    pixels = numpy.asarray(picture, numpy.float64)
    known = numpy.ones(pixels.shape[:2])
    known[max(0, hole.top) : max(0, hole.bottom), max(0, hole.left) : max(0, hole.right)] = 0.0
    if known.all() or not known.any():
        return picture  # nothing to fill, or nothing to fill it from
    filled = pixels * known[..., None]
    missing = known == 0
    radius = 1.0
    while missing.any():
        weight = _blur(known, radius)
        reach = missing & (weight > 1e-3)
        filled[reach] = _blur(pixels * known[..., None], radius)[reach] / weight[reach, None]
        missing &= ~reach
        radius *= 2
    return Image.fromarray(numpy.clip(filled, 0, 255).astype(numpy.uint8))


def _blur(values: numpy.ndarray[Any, Any], radius: float) -> numpy.ndarray[Any, Any]:
    """A separable box blur of a float array (2-D, or 3-D with channels last), `radius` pixels each way."""
    reach = max(1, round(radius))
    kernel = numpy.ones(2 * reach + 1)
    blurred = values
    for axis in (0, 1):
        blurred = numpy.apply_along_axis(lambda line: numpy.convolve(line, kernel, mode="same"), axis, blurred)
    return blurred


def resample(
    source: Image.Image,
    box: tuple[float, float, float, float],
    size: tuple[int, int],
    arrays: dict[str, numpy.ndarray[Any, Any]] | None = None,
) -> Image.Image:
    """`box` of `source` scaled to exactly `size`.

    Shrinking by more than MILD_SHRINK: Pillow, which box-reduces by whole factors first and then resamples
    only the rest, reading the crop in place. A slight shrink or an enlargement: OpenCV's bilinear
    (`_enlarge`), several times faster than Pillow's bicubic convolution and as sharp at these scales."""
    if size[0] < (box[2] - box[0]) * MILD_SHRINK:
        return source.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=1.1)
    left, top, right, bottom = (round(edge) for edge in box)
    arrays = {} if arrays is None else arrays
    if "pixels" not in arrays:
        arrays["pixels"] = numpy.asarray(source)
    return _enlarge(arrays["pixels"][top:bottom, left:right], size)


def _enlarge(pixels: numpy.ndarray[Any, Any], size: tuple[int, int]) -> Image.Image:
    """Bilinear enlargement by OpenCV, several times faster than Pillow's convolution; imported only
    when something is enlarged, so large sources never pay its memory."""
    import cv2

    cv2.setNumThreads(1)  # a Lambda's vCPU share is small; threads only add overhead
    enlarged = numpy.ascontiguousarray(cv2.resize(pixels, size, interpolation=cv2.INTER_LINEAR))
    return Image.frombuffer("RGB", size, enlarged, "raw", "RGB", 0, 1)  # shares the array: no copy
