"""Painting a framing: the source resampled into the frame, the canvas extended where it does not reach.

A plain background is continued in its own colour or gradient (the surface the detection fitted to the
border, evaluated on a coarse grid and smoothly enlarged); a photo is continued by a blurred, enlarged
copy of itself. Resampling picks the fastest good resampler for the direction (see `resample`).
"""

from __future__ import annotations

import numpy
from PIL import Image, ImageFilter

from handlers.variants.detect import Detection
from handlers.variants.framing import Framing

GRID = 48  # the plain extension is evaluated on a grid this many cells across, then smoothly enlarged
MILD_SHRINK = 0.7  # from here up (a slight shrink, or any enlargement) OpenCV's bilinear is sharp and fast
FEATHER_RATIO = 0.03  # the source's edge fades into the extension over this share of the frame's shorter side


def compose(image: Image.Image, detection: Detection | None, framing: Framing) -> Image.Image:
    width, height = framing.size
    covered = framing.covered(image.size)
    s, (ox, oy) = framing.scale, framing.offset
    box = ((covered.left - ox) / s, (covered.top - oy) / s, (covered.right - ox) / s, (covered.bottom - oy) / s)
    box = (max(0.0, box[0]), max(0.0, box[1]), min(image.width, box[2]), min(image.height, box[3]))
    picture = resample(image, box, (covered.width, covered.height))
    if (covered.width, covered.height) == (width, height):
        return picture
    if detection is not None and detection.background == "plain" and detection.surface is not None:
        canvas = _plain_extension(detection, framing, image.size)
    else:
        canvas = _blurred_extension(image, framing.size)
    feather = _feathered_edges(canvas, framing, covered)
    canvas.paste(picture, (covered.left, covered.top))
    for strip, position, ramp in feather:
        canvas.paste(strip, position, ramp)
    return canvas


def _feathered_edges(canvas: Image.Image, framing: Framing, covered) -> list:
    """(extension strip, position, mask) for each edge of the source that meets the extension and that the
    product does not reach: pasted back over the source's edge, fading from the extension into the picture,
    so the seam between the two does not show."""
    width = max(2, round(min(framing.size) * FEATHER_RATIO))
    product = framing.product
    ramp = Image.linear_gradient("L").resize((1, width)).point(lambda v: 255 - v)  # 255 at the edge, 0 inside
    strips = []
    sides = [  # (the extension is on this side, the strip, the ramp's rotation): top, bottom, left, right
        (covered.top > 0, (covered.left, covered.top, covered.right, covered.top + width), 0),
        (
            covered.bottom < framing.size[1],
            (covered.left, covered.bottom - width, covered.right, covered.bottom),
            180,
        ),
        (covered.left > 0, (covered.left, covered.top, covered.left + width, covered.bottom), 90),
        (
            covered.right < framing.size[0],
            (covered.right - width, covered.top, covered.right, covered.bottom),
            270,
        ),
    ]
    for meets, box, angle in sides:
        if not meets or (product is not None and _reaches(product, box)):
            continue
        mask = ramp.rotate(angle, expand=True).resize((box[2] - box[0], box[3] - box[1]))
        strips.append((canvas.crop(box), box[:2], mask))
    return strips


def _reaches(product, box) -> bool:
    return product.left < box[2] and product.right > box[0] and product.top < box[3] and product.bottom > box[1]


def _plain_extension(detection: Detection, framing: Framing, source_size: tuple[int, int]) -> Image.Image:
    width, height = framing.size
    cells = (GRID, max(2, round(GRID * height / width)))
    left, top, right, bottom = framing.source_box
    u = numpy.linspace(left, right, cells[0]) / source_size[0]
    v = numpy.linspace(top, bottom, cells[1]) / source_size[1]
    grid = detection.background_at(*numpy.meshgrid(u, v))
    return _enlarge(grid, (width, height))


def _blurred_extension(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The whole source, cover-fitted to the frame at 1/16 scale, blurred and enlarged: a soft continuation
    of the photo's colours that does not compete with the sharp picture pasted over it."""
    small = (max(1, size[0] // 16), max(1, size[1] // 16))
    scale = max(small[0] / image.width, small[1] / image.height)
    reduced = image.resize(
        (max(small[0], round(image.width * scale)), max(small[1], round(image.height * scale))),
        Image.Resampling.BOX,
        reducing_gap=2.0,
    )
    left, top = (reduced.width - small[0]) // 2, (reduced.height - small[1]) // 2
    reduced = reduced.crop((left, top, left + small[0], top + small[1])).filter(ImageFilter.GaussianBlur(2))
    return _enlarge(numpy.asarray(reduced), size)


def resample(source: Image.Image, box: tuple[float, float, float, float], size: tuple[int, int]) -> Image.Image:
    """`box` of `source` scaled to exactly `size`.

    Shrinking by more than MILD_SHRINK: Pillow, which box-reduces by whole factors first and then resamples
    only the rest, reading the crop in place. A slight shrink or an enlargement: OpenCV's bilinear
    (`_enlarge`), several times faster than Pillow's bicubic convolution and as sharp at these scales."""
    if size[0] < (box[2] - box[0]) * MILD_SHRINK:
        return source.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=1.1)
    return _enlarge(numpy.asarray(source.crop(tuple(round(edge) for edge in box))), size)


def _enlarge(pixels: numpy.ndarray, size: tuple[int, int]) -> Image.Image:
    """Bilinear enlargement by OpenCV, several times faster than Pillow's convolution; imported only
    when something is enlarged, so large sources never pay its memory."""
    import cv2

    cv2.setNumThreads(1)  # a Lambda's vCPU share is small; threads only add overhead
    enlarged = numpy.ascontiguousarray(cv2.resize(pixels, size, interpolation=cv2.INTER_LINEAR))
    return Image.frombuffer("RGB", size, enlarged, "raw", "RGB", 0, 1)  # shares the array: no copy
