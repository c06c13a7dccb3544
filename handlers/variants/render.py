"""Rendering the five variants from one source image, with the campaign message laid over it.

Fast by construction: the source is decoded once (JPEG in draft mode, at the smallest scale that still
covers every variant), each variant is one `resize` of its crop box with `reducing_gap` (Pillow reduces by
whole factors first, then resamples), and the text of each size is laid out once.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from variants.layout import VARIANT_SIZES, TextLayout, cover_crop, cover_scale, fit_text, palette

FONT_FILE = Path(__file__).resolve().parent.parent / "shared" / "fonts" / "DejaVuSans-Bold.ttf"
MAX_SOURCE_PIXELS = 64_000_000  # larger sources (a decompression bomb, or a 64 MP poster) are refused
JPEG_QUALITY = 86


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


def measure(text: str, size: int) -> float:
    return font(size).getlength(text)


def line_height(size: int) -> int:
    ascent, descent = font(size).getmetrics()
    return round((ascent + descent) * 1.12)


def decode(data: bytes, sizes=tuple(VARIANT_SIZES.values())) -> Image.Image:
    """Decode once, refusing bombs and corrupt files; JPEGs decode straight at a reduced scale when they can."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_SOURCE_PIXELS:
                raise SourceImageError("SourceTooLarge", f"source image is {width}x{height} "
                                       f"({width * height / 1e6:.0f} MP); the limit is {MAX_SOURCE_PIXELS / 1e6:.0f} MP")
            if image.format == "JPEG":
                scale = cover_scale(image.size, sizes)
                image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
            image.load()
        except SourceImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise SourceImageError("SourceTooLarge", f"source image refused as a decompression bomb: {error}") from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise SourceImageError("SourceUnreadable", f"source is not a readable PNG, JPEG or WebP image: {error}") from error
    if image.mode not in ("RGB",):
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            image = background
        else:
            image = image.convert("RGB")
    return image


def render_variant(source: Image.Image, name: str, size: tuple[int, int], message: str,
                   brand_colors: list[str] | None, scale_to_source: float = 1.0) -> Variant:
    width, height = size
    box = cover_crop(source.size, size)
    frame = source.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=2.0)
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
