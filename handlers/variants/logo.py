"""The brand logo (optional): read once, placed per variant in a corner with clear space, scaled to the size,
never over the product nor the message. Placement is pure geometry (`place`), tested directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from handlers.variants.layout import Box
from handlers.variants.sources import SourceImageError, decode

HEIGHT_RATIO = 0.08  # logo height, as a share of the frame's shorter side
MAX_WIDTH_RATIO = 0.25  # a wide wordmark is capped at this share of the frame's width
CLEAR_SPACE = 0.25  # free space kept around the logo, as a share of its height
SHRINK_STEPS = (1.0, 0.75, 0.5)  # smaller logos tried when no corner has room at full size
CORNERS = ("top-left", "top-right", "bottom-right", "bottom-left")


@dataclass(frozen=True)
class Placement:
    corner: str
    box: Box  # the logo's pixels in the frame


def load(data: bytes) -> Image.Image:
    """The logo as RGBA (a JPEG is opaque); unreadable -> SourceImageError naming what was wrong."""
    try:
        source = decode(data)
    except SourceImageError as error:
        raise SourceImageError("LogoUnreadable", f"logo: {error}") from error
    logo = source.image.convert("RGBA")
    if source.alpha is not None:
        logo.putalpha(source.alpha)
        inked = source.alpha.getbbox()  # transparent padding would eat into the logo's size and clear space
        if inked:
            logo = logo.crop(inked)
    return logo


def place(logo_size: tuple[int, int], inner: Box, frame: tuple[int, int], avoid: list[Box]) -> Placement | None:
    """The first corner (inside the frame's margin) where the logo, with its clear space, touches none of
    `avoid` (the product, the message); smaller sizes are tried before giving up (None)."""
    width, height = logo_size
    base = min(frame) * HEIGHT_RATIO
    scale = min(base / height, frame[0] * MAX_WIDTH_RATIO / width)
    for step in SHRINK_STEPS:
        w, h = max(1, round(width * scale * step)), max(1, round(height * scale * step))
        clear = round(h * CLEAR_SPACE)
        for corner in CORNERS:
            left = inner.left if corner.endswith("left") else inner.right - w
            top = inner.top if corner.startswith("top") else inner.bottom - h
            box = Box(left, top, left + w, top + h)
            spaced = Box(box.left - clear, box.top - clear, box.right + clear, box.bottom + clear)
            if all(spaced.overlap(other) == 0 for other in avoid):
                return Placement(corner, box)
    return None


def draw(canvas: Image.Image, logo: Image.Image, placement: Placement, top: int = 0) -> None:
    """`top`: the frame's row at which `canvas` starts (a strip of it)."""
    box = placement.box
    scaled = logo.resize((box.width, box.height), Image.Resampling.LANCZOS, reducing_gap=2.0)
    canvas.paste(scaled, (box.left, box.top - top), scaled)
