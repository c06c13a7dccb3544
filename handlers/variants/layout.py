"""Geometry of the variants (pure): what to crop, where the message goes, how large, in which colours.

No pixels here, so every rule can be tested directly: cover-fit crops never stretch, the message is
wrapped and sized to stay inside the frame with a margin, and text and band colours keep WCAG contrast.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

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

    def overlap(self, other: Box) -> int:
        """Pixels the two boxes share."""
        width = min(self.right, other.right) - max(self.left, other.left)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        return max(0, width) * max(0, height)

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


def cover_scale(source: tuple[int, int], targets: Iterable[tuple[int, int]]) -> float:
    """The largest scale any target needs: decoding at this size loses nothing for any of them."""
    return max((max(tw / source[0], th / source[1]) for tw, th in targets), default=1.0)


# Characters written without spaces between words (Han, kana, CJK punctuation, full-width forms): a line
# may break between any two of them. Korean separates words with spaces, so Hangul is not among them.
_CJK_RANGES = (
    (0x2E80, 0x2FFF),
    (0x3000, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
)
# ...but not before these: closing punctuation stays on the line of the character it follows.
_NO_LINE_START = set("、。，．・：；？！）」』】〉》〕｝ー々ぁぃぅぇぉっゃゅょァィゥェォッャュョ,.!?:;)")


def _cjk(char: str) -> bool:
    code = ord(char)
    return any(start <= code <= end for start, end in _CJK_RANGES)


@lru_cache(maxsize=256)
def tokens(paragraph: str) -> tuple[tuple[str, bool], ...]:
    """The paragraph as (token, space before it): words between spaces, and single CJK characters, which
    may be broken between without a space."""
    found: list[tuple[str, bool]] = []
    space = False
    word = ""
    for char in paragraph:
        if char.isspace():
            if word:
                found.append((word, space))
                word = ""
            space = bool(found)
            continue
        if word and char in _NO_LINE_START:
            word += char
        elif _cjk(char) or (word and _cjk(word[-1])):
            if word:
                found.append((word, space))
                space = False
            word = char
        else:
            word += char
    if word:
        found.append((word, space))
    return tuple(found)


def _break_point(word: str, cut: int) -> int:
    """A cut at or before `cut` that does not split a character from its combining marks."""
    while cut > 1 and unicodedata.category(word[cut])[0] == "M":
        cut -= 1
    return cut


def wrap(text: str, max_width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy wrap at spaces and between CJK characters; a word wider than the line is broken between
    characters (never inside a character's combining marks).

    Widths are added up token by token (each token and the space measured once), so wrapping costs a few
    measurements per word, not one per candidate line; callers re-measure the final lines exactly."""
    space = measure(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word, spaced in tokens(paragraph):
            word_width = measure(word)
            gap = space if spaced else 0.0
            if line and line_width + gap + word_width <= max_width:
                line, line_width = line + (" " if spaced else "") + word, line_width + gap + word_width
                continue
            if line:
                lines.append(line)
            while word_width > max_width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and measure(word[:cut]) > max_width:
                    cut -= 1
                cut = _break_point(word, cut)
                lines.append(word[:cut])
                word = word[cut:]
                word_width = measure(word)
            line, line_width = word, word_width
        lines.append(line)
    return [line for line in lines if line] or [""]


# (line width, width of a string, the last resort: a word may be cut between letters) -> lines, or None: no fit
Breaker = Callable[[float, Callable[[str], float], bool], list[str] | None]


@dataclass(frozen=True)
class TextLayout:
    font_size: int
    lines: list[str]
    line_height: int
    band: Box  # the text block with its padding: a scrim, when one is needed, covers exactly this
    text: Box  # where the text block sits
    frame: Box  # the region the band stays inside
    rtl: bool = False  # lines are right-aligned


def fit_text(
    message: str,
    region: Box,
    measure: Callable[[str, int], float],
    line_height: Callable[[int], int],
    *,
    max_font: int,
    anchor: str = "centre",
    align: str = "centre",
    breaker: Breaker | None = None,
) -> TextLayout:
    """Largest font size at which the wrapped message fits `region`; the block (text plus padding) is
    as wide as its widest line, aligned "start"/"end"/"centre" across the region and placed at its
    "top"/"bottom"/"centre". `breaker` (text.py's, by language) chooses the lines; without one, `wrap`."""

    words = [word for paragraph in message.split("\n") for word, _ in tokens(paragraph)]

    def layout_at(font_size: int) -> TextLayout | None:
        padding = round(font_size * PADDING_RATIO)
        max_text_width = region.width - 2 * padding
        if breaker is not None:
            found = breaker(max_text_width, lambda s: measure(s, font_size), font_size <= SMALLEST_FONT)
            if found is None:
                return None
            lines = found
        elif font_size > SMALLEST_FONT and max((measure(w, font_size) for w in words), default=0) > max_text_width:
            return None  # a smaller size before a word broken in two (Thai, a long compound, a web address)
        else:
            lines = wrap(message, max_text_width, lambda s: measure(s, font_size))
        step = line_height(font_size)
        block_height = step * len(lines) + 2 * padding
        widest = max(measure(line, font_size) for line in lines)
        if widest > max_text_width or block_height > region.height:
            return None
        block_width = math.ceil(widest) + 2 * padding
        left = {
            "start": region.left,
            "end": region.right - block_width,
            "centre": region.left + (region.width - block_width) // 2,
        }[align]
        top = {
            "top": region.top,
            "bottom": region.bottom - block_height,
            "centre": region.top + (region.height - block_height) // 2,
        }[anchor]
        band = Box(left, top, left + block_width, top + block_height)
        text = Box(band.left + padding, band.top + padding, band.right - padding, band.bottom - padding)
        return TextLayout(font_size, lines, step, band, text, region)

    # Larger text needs more room, so "fits" only turns false as the size grows: search for the largest size.
    low, high = SMALLEST_FONT, max(SMALLEST_FONT, max_font)
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
    raise ValueError(f"a message of {len(message)} characters cannot fit a {region.width}x{region.height} region")


# --- colour -------------------------------------------------------------------------------------------


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
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
