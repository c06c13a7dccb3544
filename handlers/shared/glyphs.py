"""Which characters the variants' fonts can draw (pure): shared by the parser, which refuses a message
with a character no shipped font has, and the variants, which draw each character with the first font
in the chain that has it. The table is built from the fonts themselves by tools/build_fonts.py.
"""

from __future__ import annotations

import bisect
import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

COVERAGE_FILE = Path(__file__).with_name("glyph_coverage.json")
LINE_BREAKS = "\n\r"


@dataclass(frozen=True)
class ChainFont:
    file: str  # relative to the handlers package, e.g. variants/fonts/NotoSans-Bold.ttf
    family: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    bitmap_size: int | None = None  # a colour bitmap font (emoji): drawn at this size only, then scaled

    def has(self, code: int) -> bool:
        at = bisect.bisect_right(self.starts, code) - 1
        return at >= 0 and code <= self.ends[at]


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(COVERAGE_FILE.read_text())
    return table


@lru_cache(maxsize=1)
def chain() -> tuple[ChainFont, ...]:
    return tuple(
        ChainFont(
            f["file"],
            f["family"],
            tuple(s for s, _ in f["codes"]),
            tuple(e for _, e in f["codes"]),
            f.get("bitmap_size"),
        )
        for f in _table()["chain"]
    )


@lru_cache(maxsize=1)
def _emoji_presentation() -> ChainFont:
    codes = _table()["emoji_presentation"]
    return ChainFont("", "", tuple(s for s, _ in codes), tuple(e for _, e in codes))


def emoji_font() -> int | None:
    """Index in the chain of the colour emoji font."""
    return next((i for i, font in enumerate(chain()) if font.bitmap_size), None)


def shows_as_emoji(char: str, following: str = "") -> bool:
    """Unicode presents `char` as an emoji (in colour): by default (Emoji_Presentation), or asked to by the
    variation selector U+FE0F after it; U+FE0E asks for text."""
    if following == "\ufe0f":
        return True
    return following != "\ufe0e" and _emoji_presentation().has(ord(char))


def invisible(char: str) -> bool:
    """Characters that draw nothing and need no glyph: format controls (zero-width space and joiners, bidi
    marks), other controls, line breaks and variation selectors. Shaping handles the joiners."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Cf", "Cc")
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or char in LINE_BREAKS
    )


def font_for(char: str) -> int | None:
    """Index in the chain of the first font that has `char`, or None."""
    code = ord(char)
    for index, font in enumerate(chain()):
        if font.has(code):
            return index
    return None


def missing_characters(text: str) -> list[str]:
    """Distinct characters of `text` that no shipped font has, in order of first appearance."""
    missing: list[str] = []
    for char in text:
        if char not in missing and not char.isspace() and not invisible(char) and font_for(char) is None:
            missing.append(char)
    return missing


def describe(chars: list[str], limit: int = 12) -> str:
    """'"😀" U+1F600 GRINNING FACE, ...': what a person needs to find the characters in their text."""
    shown = [f'"{c}" U+{ord(c):04X} {unicodedata.name(c, "unnamed")}' for c in chars[:limit]]
    more = f" and {len(chars) - limit} more" if len(chars) > limit else ""
    return ", ".join(shown) + more


def only_invisible(text: str) -> bool:
    """True when nothing in `text` would show: spaces, zero-width characters, controls."""
    return all(char.isspace() or invisible(char) for char in text)
