"""Rendering the five variants from one source image, with the campaign message laid over it.

Fast and lean by construction (benchmarks/variants_bench.py): the source is decoded once (a JPEG
straight at 1/2, 1/4 or 1/8 scale when every variant stays covered); each variant resamples only its
crop, with the resampler that is fastest for its direction (see cover_resize); the text of each size is
laid out by a binary search over font sizes and drawn with the shipped TrueType font.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from handlers.shared.image_words import damaged, too_many_pixels, unidentified, unsupported
from handlers.variants.layout import VARIANT_SIZES, TextLayout, cover_crop, cover_scale, fit_text, palette

FONT_FILE = Path(__file__).resolve().parent.parent / "shared" / "fonts" / "DejaVuSans-Bold.ttf"
MAX_SOURCE_PIXELS = 64_000_000  # larger sources (a decompression bomb, or a 64 MP poster) are refused
JPEG_QUALITY = 86
Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS  # Pillow checks it when reading the header


class SourceImageError(ValueError):
    """The source cannot be rendered (corrupt, not an image, too many pixels): a permanent product error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Variant:
    name: str
    width: int
    height: int
    jpeg: bytes
    layout: TextLayout


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size)


@lru_cache(maxsize=8192)
def measure(text: str, size: int) -> float:
    return font(size).getlength(text)


def line_height(size: int) -> int:
    ascent, descent = font(size).getmetrics()
    return round((ascent + descent) * 1.12)


ALL_SIZES = tuple(VARIANT_SIZES.values())


def decode(data: bytes, sizes: tuple[tuple[int, int], ...] = ALL_SIZES) -> Image.Image:
    """Decode once, refusing bombs, truncated and corrupt files; a JPEG decodes straight at 1/2, 1/4 or
    1/8 scale (draft mode) when every variant stays covered at that scale."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = None
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_SOURCE_PIXELS:
                raise SourceImageError("SourceTooLarge", too_many_pixels(data, MAX_SOURCE_PIXELS, (width, height)))
            if image.format not in ("PNG", "JPEG", "MPO", "WEBP"):
                raise SourceImageError("SourceUnreadable", unsupported(data, image.format))
            if image.format == "JPEG":
                scale = cover_scale(image.size, sizes)
                image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
            image.load()
        except SourceImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise SourceImageError(
                "SourceTooLarge", too_many_pixels(data, MAX_SOURCE_PIXELS, None, str(error))
            ) from error
        except UnidentifiedImageError as error:
            raise SourceImageError("SourceUnreadable", unidentified(data)) from error
        except (OSError, SyntaxError, ValueError) as error:
            raise SourceImageError("SourceUnreadable", damaged(data, image and image.format)) from error
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
        flat = image.convert("RGBA")  # transparency is laid on white
        background = Image.new("RGB", flat.size, (255, 255, 255))
        background.paste(flat, mask=flat.getchannel("A"))
        return background
    return image.convert("RGB")


def cover_resize(source: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The centre crop of `source` scaled to exactly `size` (cover-fit, never stretched).

    Shrinking: Pillow, which box-reduces by whole factors first and then resamples only the rest, reading
    the crop in place. Enlarging: OpenCV, whose bilinear upscale is several times faster than Pillow's
    convolution; it is imported only then, so large sources never pay its memory."""
    box = cover_crop(source.size, size)
    if size[0] <= box[2] - box[0]:
        return source.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=1.1)
    import cv2
    import numpy

    cv2.setNumThreads(1)  # a Lambda's vCPU share is small; threads only add overhead
    crop = numpy.asarray(source.crop(tuple(round(edge) for edge in box)))
    enlarged = numpy.ascontiguousarray(cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR))
    return Image.frombuffer("RGB", size, enlarged, "raw", "RGB", 0, 1)  # shares the array: no copy


def render_variant(
    source: Image.Image, name: str, size: tuple[int, int], message: str, brand_colors: list[str] | None
) -> Variant:
    width, height = size
    frame = cover_resize(source, size)
    layout = fit_text(message, size, measure, line_height)
    colors = palette(brand_colors)
    draw = ImageDraw.Draw(frame)
    band = layout.band
    draw.rectangle((band.left, band.top, band.right - 1, band.bottom - 1), fill=colors.band)
    if colors.accent:
        rule = max(2, layout.font_size // 8)
        draw.rectangle((band.left, band.top, band.right - 1, band.top + rule - 1), fill=colors.accent)
    text_font = font(layout.font_size)
    for row, line in enumerate(layout.lines):
        line_width = text_font.getlength(line)
        x = layout.text.left + (layout.text.width - line_width) / 2
        draw.text((x, layout.text.top + row * layout.line_height), line, font=text_font, fill=colors.text)
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling="4:2:0")
    return Variant(name, width, height, buffer.getvalue(), layout)


def render_all(data: bytes, message: str, brand_colors: list[str] | None = None) -> list[Variant]:
    source = decode(data)
    return [render_variant(source, name, size, message, brand_colors) for name, size in VARIANT_SIZES.items()]
