"""Rendering the variants of one product: five sizes per locale, the product whole, the message beside it.

The work that depends only on the picture is done once per product (sources.decode, detect.detect, a
framing per size and the painted canvas); each locale then only lays out, draws and encodes its message
on a copy of each canvas. Costs: benchmarks/variants_bench.py.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image

from handlers.shared import glyphs
from handlers.variants import text
from handlers.variants.canvas import compose
from handlers.variants.checks import MAX_UPSCALE, CreativeCheck, check
from handlers.variants.detect import Detection, detect
from handlers.variants.framing import Framing, frame_product
from handlers.variants.layout import VARIANT_SIZES, TextLayout, cover_scale
from handlers.variants.sources import SourceImageError, decode

JPEG_QUALITY = 86
ALL_SIZES = tuple(VARIANT_SIZES.values())
__all__ = ["SourceImageError", "Variant", "prepare", "render_all", "render_locale"]


@dataclass(frozen=True)
class Variant:
    name: str
    width: int
    height: int
    jpeg: bytes
    layout: TextLayout
    framing: Framing
    check: CreativeCheck
    locale: str | None = None


@dataclass(frozen=True)
class Prepared:
    """What every locale of a product shares: the framings and the painted canvases (no text yet)."""

    detection: Detection
    framings: dict[str, Framing]
    canvases: dict[str, Image.Image]
    upscale: dict[str, float]  # frame pixels per file pixel, per size
    source_size: tuple[int, int]  # decoded
    frames: int  # in the file; the first is rendered


def prepare(data: bytes, sizes: Mapping[str, tuple[int, int]] = VARIANT_SIZES) -> Prepared:
    source = decode(data, sizes.values())
    image = source.image
    detection = detect(image, source.alpha)
    framings, canvases, upscale = {}, {}, {}
    for name, size in sizes.items():
        # Zoom into a small product as far as the cover crop would, short of enlarging more than the check allows.
        max_scale = min(max(1.0, cover_scale(image.size, [size])), MAX_UPSCALE / source.decoded_ratio)
        framing = frame_product(image.size, detection.box, size, max_scale)
        framings[name] = framing
        canvases[name] = compose(image, detection, framing)
        upscale[name] = framing.scale * source.decoded_ratio
    return Prepared(detection, framings, canvases, upscale, image.size, source.frames)


def render_locale(
    prepared: Prepared, message: str, brand_colors: list[str] | None = None, locale: str | None = None
) -> list[Variant]:
    variants = []
    fonts = [glyphs.chain()[index].family for index in text.fonts_of(message)]
    for name, framing in prepared.framings.items():
        frame = prepared.canvases[name]
        fitted = text.layout(message, framing.text_region, framing.size, framing.placement)
        ink = text.choose_ink(frame, fitted.band, brand_colors)
        # The canvas is shared by every locale: keep what the text covers and put it back once encoded
        # (a crop of the block, instead of a copy of the frame per locale).
        pad = fitted.font_size
        touched = (
            max(0, fitted.band.left - pad),
            max(0, fitted.band.top - pad),
            min(frame.width, fitted.band.right + pad),
            min(frame.height, fitted.band.bottom + pad),
        )
        kept = frame.crop(touched)
        text.draw_message(frame, fitted, ink)
        extended = framing.extension(prepared.source_size) > 0
        variant_check = check(
            framing,
            fitted.band,
            ink.contrast,
            fitted.font_size,
            prepared.upscale[name],
            fonts,
            extended,
            prepared.detection.reason,
        )
        buffer = io.BytesIO()
        frame.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling="4:2:0")
        frame.paste(kept, touched[:2])
        width, height = framing.size
        variants.append(Variant(name, width, height, buffer.getvalue(), fitted, framing, variant_check, locale))
    return variants


def render_all(data: bytes, message: str, brand_colors: list[str] | None = None) -> list[Variant]:
    """The five variants of one message (one locale)."""
    return render_locale(prepare(data), message, brand_colors)
