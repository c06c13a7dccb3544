"""A picture, or a box of it, scaled to a size: the renderer's largest cost, so it runs on SIMD code where it can.

cykooz-resizer (Python bindings of Rust's fast_image_resize) computes the convolutions Pillow computes (the same
filters; Catmull-Rom is Pillow's BICUBIC) with SSE4.1/AVX2 code chosen at run time: 3-6× faster than Pillow here,
the result within a level or three of Pillow's (docs/pipeline.md). It publishes no wheel for linux arm64, so an
image built for Graviton does not install it and this module resamples with Pillow instead: the same filters,
slower.
"""

from __future__ import annotations

from PIL import Image

try:
    import cykooz_resizer as simd
except ImportError:  # linux arm64 (no wheel): Pillow resamples
    simd = None

MILD_SHRINK = 0.5  # from here up (a shrink to half, or enlarging) bilinear is about as sharp as bicubic, and faster
# What the renderer resamples (sources are RGB, their alpha kept apart). Other modes go to Pillow, which keeps its
# own alpha handling: the two premultiply alike but differ by up to 17 levels in the colour of near-clear pixels.
FAST_MODES = frozenset({"RGB", "L"})
EDGE_TOLERANCE = 1e-3  # pixels: a box edge this close past the image's edge is on it

Box = tuple[float, float, float, float]


def resample(source: Image.Image, box: Box, size: tuple[int, int]) -> Image.Image:
    """`box` of `source` scaled to exactly `size`: bicubic when shrinking by more than MILD_SHRINK (sharper),
    bilinear otherwise (a slight shrink or an enlargement, where it is as sharp and faster)."""
    bicubic = size[0] < (box[2] - box[0]) * MILD_SHRINK
    if _fast(source, size):
        return _fast_resize(source, box, size, "catmull_rom" if bicubic else "bilinear")
    if bicubic:  # box-reducing by whole factors first (reducing_gap) keeps Pillow's bicubic affordable
        return source.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=1.1)
    return source.resize(size, Image.Resampling.BILINEAR, box=box)


def enlarge(picture: Image.Image, size: tuple[int, int], box: Box | None = None) -> Image.Image:
    """A small picture (a grid of a plain background, a reduced photo), or `box` of it, smoothly enlarged."""
    box = box or (0.0, 0.0, float(picture.width), float(picture.height))
    if _fast(picture, size):
        return _fast_resize(picture, box, size, "bilinear")
    return picture.resize(size, Image.Resampling.BILINEAR, box=box)


def _fast(image: Image.Image, size: tuple[int, int]) -> bool:
    return simd is not None and image.mode in FAST_MODES and size[0] > 0 and size[1] > 0


def _fast_resize(image: Image.Image, box: Box, size: tuple[int, int], filter_name: str) -> Image.Image:
    left, top, right, bottom = _onto_edges(box, image.size)
    options = simd.ResizeOptions(
        resize_alg=simd.ResizeAlg.convolution(simd.FilterType[filter_name]),
        crop_box=simd.CropBox(left, top, right - left, bottom - top),
    )
    resized = Image.new(image.mode, size)
    # A resizer per call: it costs microseconds and shares no state between the local run's threads.
    simd.Resizer().resize_pil(image, resized, options)
    return resized


def _onto_edges(box: Box, size: tuple[int, int]) -> Box:
    """`box` with an edge within EDGE_TOLERANCE of the image's edge put on it. The resizer checks boxes in 64-bit
    floats, Pillow in 32-bit, which takes a far edge a rounding error outside; one truly outside still raises."""

    def onto(edge: float, limit: float) -> float:
        return limit if abs(edge - limit) <= EDGE_TOLERANCE else edge

    return (onto(box[0], 0.0), onto(box[1], 0.0), onto(box[2], size[0]), onto(box[3], size[1]))
