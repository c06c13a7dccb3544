"""Finding the product in a source image (pure, on a small thumbnail so it costs a few milliseconds).

- With an alpha channel, the product is what is not transparent.
- Otherwise the background is estimated from the image's border: a smooth surface (a quadratic in x and y
  per channel, fitted robustly so a product touching one edge does not bend it) that follows a plain studio
  colour or gradient. The product is what differs from it by clearly more than the border's own noise.
- When nothing, or nearly everything, differs (a full-bleed photo), there is no product to frame: the
  caller falls back to the cover crop and records why.
The background is "plain" when the border follows the surface closely (the canvas can be extended with
it), else "photo" (extended by a blurred copy of the image).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy
from PIL import Image, ImageFilter

from handlers.variants.layout import Box

THUMB_SIDE = 160  # longest side of the thumbnail the detection works on
BORDER_RATIO = 0.04  # the border the background is estimated from, as a share of the shorter side
PLAIN_NOISE = 10.0  # 90th-percentile border residual (0-255) under which the background is plain
MIN_DIFFERENCE = 24.0  # a pixel differs from the background by at least this much (0-255, any channel)
MIN_PRODUCT_SHARE = 0.002  # of the image's area: less is noise, not a product
MAX_PRODUCT_SHARE = 0.92  # of the image's area for the product's box: more is a full-bleed photo


@dataclass(frozen=True)
class Detection:
    box: Box | None  # the product's bounding box in the source's pixels, None when none was found
    method: str  # "alpha", "background" or "none"
    background: str  # "plain" or "photo": how the canvas is extended
    surface: numpy.ndarray[Any, Any] | None  # (3, 6) quadratic coefficients of the plain background, per channel
    reason: str = ""  # why no product was found

    def background_at(self, u: numpy.ndarray[Any, Any], v: numpy.ndarray[Any, Any]) -> numpy.ndarray[Any, Any]:
        """The plain background's colour at normalized source coordinates (0-1), continued past the edges
        as the edge's colour: (..., 3) uint8."""
        assert self.surface is not None, "only a detection with a fitted surface has a plain background"
        u, v = numpy.clip(u, 0, 1), numpy.clip(v, 0, 1)
        colours: numpy.ndarray[Any, Any] = numpy.clip(_terms(u, v) @ self.surface.T, 0, 255).astype(numpy.uint8)
        return colours


def _terms(u: numpy.ndarray[Any, Any], v: numpy.ndarray[Any, Any]) -> numpy.ndarray[Any, Any]:
    return numpy.stack([numpy.ones_like(u), u, v, u * v, u * u, v * v], axis=-1)


def detect(image: Image.Image, alpha: Image.Image | None) -> Detection:
    width, height = image.size
    shrink = max(1.0, max(width, height) / THUMB_SIDE)
    thumb_size = (max(1, round(width / shrink)), max(1, round(height / shrink)))
    thumb = numpy.asarray(image.resize(thumb_size, Image.Resampling.BOX, reducing_gap=2.0), dtype=numpy.float64)
    surface, residual, inliers = _fit_border(thumb)
    plain = inliers >= 0.6 and residual <= PLAIN_NOISE
    background = "plain" if plain else "photo"

    if alpha is not None:
        mask = numpy.asarray(alpha.resize(thumb_size, Image.Resampling.BOX, reducing_gap=2.0)) > 4
        method = "alpha"
    else:
        th, tw = thumb.shape[:2]
        v, u = numpy.mgrid[0:th, 0:tw]
        model = _terms((u + 0.5) / tw, (v + 0.5) / th) @ surface.T
        difference = numpy.abs(thumb - model).max(axis=-1)
        mask = difference > max(MIN_DIFFERENCE, 2.5 * residual)
        mask = _open(mask)
        method = "background"
    box = _box(mask, thumb_size, (width, height))
    share = mask.mean() if mask.size else 0.0
    if box is None or share < MIN_PRODUCT_SHARE:
        return Detection(None, "none", background, surface, "no product stands out from the background")
    if box.width * box.height > MAX_PRODUCT_SHARE * width * height:
        return Detection(None, "none", background, surface, "the picture fills the whole frame (full-bleed)")
    return Detection(box, method, background, surface)


def _fit_border(thumb: numpy.ndarray[Any, Any]) -> tuple[numpy.ndarray[Any, Any], float, float]:
    """Least-squares quadratic surface through the border pixels, refitted twice without the outliers (a
    product touching the edge). Returns (coefficients (3, 6), 90th-percentile residual, inlier share)."""
    th, tw = thumb.shape[:2]
    band = max(1, round(min(th, tw) * BORDER_RATIO))
    v, u = numpy.mgrid[0:th, 0:tw]
    border = numpy.zeros((th, tw), bool)
    border[:band, :] = border[-band:, :] = border[:, :band] = border[:, -band:] = True
    terms = _terms((u[border] + 0.5) / tw, (v[border] + 0.5) / th)
    colours = thumb[border]
    # First guess without the product: a product along much of one edge would bend a fit of every border pixel
    # towards its own colour (and then hide in it). The border's median colour is the background's while the
    # product covers less than half the border; pixels far from it sit out the first fit.
    spread = numpy.abs(colours - numpy.median(colours, axis=0)).max(axis=-1)
    keep = spread <= max(MIN_DIFFERENCE, 3 * float(numpy.median(spread)))
    if keep.sum() < 12:
        keep = numpy.ones(len(colours), bool)
    for _ in range(3):
        kept = terms[keep]  # least squares by its normal equations: a 6x6 solve, no BLAS threads to start
        surface = numpy.linalg.solve(kept.T @ kept + 1e-9 * numpy.eye(6), kept.T @ colours[keep]).T
        residual = numpy.abs(colours - terms @ surface.T).max(axis=-1)
        limit = max(12.0, 3 * float(numpy.median(residual[keep])))
        keep = residual <= limit
        if keep.sum() < 12:
            keep = numpy.ones(len(colours), bool)
            break
    return surface, float(numpy.percentile(residual[keep], 90)), float(keep.mean())


def _open(mask: numpy.ndarray[Any, Any]) -> numpy.ndarray[Any, Any]:
    """Remove specks (JPEG noise, grain) of a pixel or two: a morphological opening."""
    image = Image.fromarray(mask.astype(numpy.uint8) * 255)
    return numpy.asarray(image.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.MaxFilter(3))) > 0


def _box(mask: numpy.ndarray[Any, Any], thumb_size: tuple[int, int], size: tuple[int, int]) -> Box | None:
    """The mask's bounding box in source pixels, grown by one thumbnail pixel each way (the thumbnail
    averages the product's edge away), within the image."""
    rows, columns = numpy.any(mask, axis=1), numpy.any(mask, axis=0)
    if not rows.any():
        return None
    top, bottom = numpy.argmax(rows), len(rows) - numpy.argmax(rows[::-1])
    left, right = numpy.argmax(columns), len(columns) - numpy.argmax(columns[::-1])
    sx, sy = size[0] / thumb_size[0], size[1] / thumb_size[1]
    return Box(
        max(0, int((left - 1) * sx)),
        max(0, int((top - 1) * sy)),
        min(size[0], int(numpy.ceil((right + 1) * sx))),
        min(size[1], int(numpy.ceil((bottom + 1) * sy))),
    )
