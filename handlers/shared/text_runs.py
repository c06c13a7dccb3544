"""Text cut into runs of one font each, from the shipped chain (handlers/shared/glyphs.py), and those fonts
loaded with raqm layout (HarfBuzz shaping, FriBiDi ordering): what the variants draw a message with, and what
the local stand-in images draw a product's name with, so no character of any script becomes a box.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import ImageFont

from handlers.shared import glyphs

HANDLERS = Path(__file__).resolve().parent.parent  # the chain names its files relative to handlers/


@lru_cache(maxsize=256)
def font(index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(HANDLERS / glyphs.chain()[index].file), size, layout_engine=ImageFont.Layout.RAQM)


@lru_cache(maxsize=4096)
def runs(text: str) -> tuple[tuple[int, str], ...]:
    """`text` cut into runs drawn with one font each. Spaces, joiners and combining marks stay in the run
    they follow when its font has them, so shaping sees whole words and clusters."""
    found: list[list[Any]] = []
    for char in text:
        code = ord(char)
        current = found[-1][0] if found else None
        joins = char.isspace() or glyphs.invisible(char) or unicodedata.category(char)[0] == "M"
        if current is not None and (glyphs.chain()[current].has(code) or (joins and not char.isspace())):
            found[-1][1] += char
            continue
        index = glyphs.font_for(char)
        if index is None:
            index = current if current is not None else 0  # invisible: draws nothing in any font
        if current == index:
            found[-1][1] += char
        else:
            found.append([index, char])
    return tuple((index, run) for index, run in found)


def rtl(message: str) -> bool:
    """The paragraph direction: that of the first strong character (Unicode bidi rule P2)."""
    for char in message:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False
