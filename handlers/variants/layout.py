"""Geometry of the variants (pure): what to crop, where the message goes, how large, in which colours.

No pixels here, so every rule can be tested directly: cover-fit crops never stretch, the message is
wrapped and sized to stay inside the frame with a margin, and text and band colours keep WCAG contrast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# CONTRACT §5.
VARIANT_SIZES: dict[str, tuple[int, int]] = {
    "instagram-square": (1080, 1080),
    "instagram-story": (1080, 1920),
    "facebook-feed": (1200, 630),
    "twitter-card": (1200, 675),
    "linkedin-post": (1200, 627),
}
MARGIN_RATIO = 0.05  # margin around the text band, as a share of the frame's shorter side
PADDING_RATIO = 0.6  # padding inside the band, as a share of the font size
MAX_TEXT_HEIGHT_RATIO = 0.4  # the message may take at most this share of the frame's height
MIN_CONTRAST = 4.5  # WCAG AA for normal text
SMALLEST_FONT = 8
DEFAULT_BAND = "#111111"


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def inside(self, other: Box) -> bool:
        return (
            self.left >= other.left
            and self.top >= other.top
            and self.right <= other.right
            and self.bottom <= other.bottom
        )


def cover_crop(source: tuple[int, int], target: tuple[int, int]) -> tuple[float, float, float, float]:
    """The centred region of `source` with the target's aspect ratio: scaled to cover, nothing stretched."""
    sw, sh = source
    tw, th = target
    scale = max(tw / sw, th / sh)
    cw, ch = tw / scale, th / scale
    left, top = (sw - cw) / 2, (sh - ch) / 2
    return (left, top, left + cw, top + ch)


def cover_scale(source: tuple[int, int], targets) -> float:
    """The largest scale any target needs: decoding at this size loses nothing for any of them."""
    return max(max(tw / source[0], th / source[1]) for tw, th in targets)


def wrap(text: str, max_width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy word wrap; a word wider than the line is broken between characters.

    Widths are added up word by word (each word and the space measured once), so wrapping costs a few
    measurements per word, not one per candidate line; callers re-measure the final lines exactly."""
    space = measure(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word in paragraph.split():
            word_width = measure(word)
            if line and line_width + space + word_width <= max_width:
                line, line_width = f"{line} {word}", line_width + space + word_width
                continue
            if line:
                lines.append(line)
            while word_width > max_width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and measure(word[:cut]) > max_width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
                word_width = measure(word)
            line, line_width = word, word_width
        lines.append(line)
    return [line for line in lines if line] or [""]


@dataclass(frozen=True)
class TextLayout:
    font_size: int
    lines: list[str]
    line_height: int
    band: Box  # the band behind the text
    text: Box  # where the text block sits
    frame: Box  # the frame less its margin: band and text stay inside it


def fit_text(
    message: str, size: tuple[int, int], measure: Callable[[str, int], float], line_height: Callable[[int], int]
) -> TextLayout:
    """Largest font size at which the wrapped message fits the frame with its margin (bottom band)."""
    width, height = size
    margin = round(min(width, height) * MARGIN_RATIO)
    frame = Box(margin, margin, width - margin, height - margin)

    def layout_at(font_size: int) -> TextLayout | None:
        padding = round(font_size * PADDING_RATIO)
        max_text_width = frame.width - 2 * padding
        lines = wrap(message, max_text_width, lambda s: measure(s, font_size))
        step = line_height(font_size)
        band_height = step * len(lines) + 2 * padding
        widest = max(measure(line, font_size) for line in lines)
        if (
            widest > max_text_width
            or band_height > frame.height
            or (band_height > height * MAX_TEXT_HEIGHT_RATIO and font_size > SMALLEST_FONT)
        ):
            return None
        band = Box(frame.left, frame.bottom - band_height, frame.right, frame.bottom)
        text = Box(band.left + padding, band.top + padding, band.right - padding, band.bottom - padding)
        return TextLayout(font_size, lines, step, band, text, frame)

    # Larger text needs more room, so "fits" only turns false as the size grows: search for the largest size.
    low, high = SMALLEST_FONT, max(12, round(min(width, height) * 0.075))
    best = None
    while low < high:
        middle = (low + high + 1) // 2
        found = layout_at(middle)
        if found:
            low, best = middle, found
        else:
            high = middle - 1
    best = best or layout_at(SMALLEST_FONT)
    if best is not None:
        return best
    raise ValueError(f"a message of {len(message)} characters cannot fit a {width}x{height} frame")


# --- colour -------------------------------------------------------------------------------------------


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True)
class Palette:
    band: tuple[int, int, int]
    text: tuple[int, int, int]
    accent: tuple[int, int, int] | None  # a thin brand-colour rule above the text, when there is one

    @property
    def contrast(self) -> float:
        return contrast(self.band, self.text)


def palette(brand_colors: list[str] | None) -> Palette:
    """Band in the first brand colour that can carry legible text, text in the brand colour (or white/black)
    with the best contrast on it. The band is opaque, so legibility does not depend on the image."""
    colors = [hex_to_rgb(c) for c in (brand_colors or [])]
    candidates = colors + [hex_to_rgb(DEFAULT_BAND)]
    for band in candidates:
        texts = [c for c in colors if c != band] + [(255, 255, 255), (0, 0, 0)]
        best = max(texts, key=lambda t: contrast(band, t))
        if contrast(band, best) >= MIN_CONTRAST:
            accent = next((c for c in colors if c not in (band, best)), None)
            return Palette(band, best, accent)
    return Palette(hex_to_rgb(DEFAULT_BAND), (255, 255, 255), None)
