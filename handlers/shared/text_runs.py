"""Text cut into runs of one font each, from the shipped chain (handlers/shared/glyphs.py), and those fonts
loaded with raqm layout (HarfBuzz shaping, FriBiDi ordering): what the variants draw a message with, and what
the local stand-in images draw a product's name with, so no character of any script becomes a box. Emoji go to
the colour emoji font, a bitmap font drawn at its one size and scaled (`scale`).
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
    """The chain's font `index` at `size`; a colour bitmap font at its one size (`scale` says by how much to scale)."""
    chain_font = glyphs.chain()[index]
    size = chain_font.bitmap_size or size
    return ImageFont.truetype(str(HANDLERS / chain_font.file), size, layout_engine=ImageFont.Layout.RAQM)


def scale(index: int, size: int) -> float:
    bitmap = glyphs.chain()[index].bitmap_size
    return size / bitmap if bitmap else 1.0


def _joins(char: str) -> bool:
    """Joiners, variation selectors, tags and combining marks belong to the character before them."""
    return not char.isspace() and (glyphs.invisible(char) or unicodedata.category(char)[0] == "M")


@lru_cache(maxsize=4096)
def runs(text: str) -> tuple[tuple[int, str], ...]:
    """`text` cut into runs drawn with one font each. Spaces, joiners and combining marks stay in the run
    they follow when its font has them, so shaping sees whole words and clusters; an emoji (with its modifiers,
    joiners and selectors) goes to the colour emoji font, and nothing else does unless no other font has it."""
    found: list[list[Any]] = []
    emoji = glyphs.emoji_font()
    chain = glyphs.chain()
    for at, char in enumerate(text):
        code = ord(char)
        following = text[at + 1] if at + 1 < len(text) else ""
        as_emoji = emoji is not None and glyphs.shows_as_emoji(char, following) and chain[emoji].has(code)
        current = found[-1][0] if found else None
        if current is not None:
            if current == emoji:
                continues = as_emoji or _joins(char)
            else:
                continues = not as_emoji and (chain[current].has(code) or _joins(char))
            if continues:
                found[-1][1] += char
                continue
        index = emoji if as_emoji else glyphs.font_for(char)
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
