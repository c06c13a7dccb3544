"""The visual order of a line, by the Unicode Bidirectional Algorithm as FriBiDi computes it.

Pillow's raqm layout orders a run by FriBiDi, but only within one font; a line whose runs use different fonts (an
Arabic message with a Latin brand name, digits and "%") must be ordered as a whole first, then each run drawn in its
own direction. The variants image installs FriBiDi for raqm already (its Dockerfile: `dnf install fribidi`); this
module asks the same library, through its C API (`fribidi_log2vis`), for the embedding level of every character and
the visual order of the line.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import lru_cache

# fribidi-bidi-types.h: FRIBIDI_PAR_LTR and FRIBIDI_PAR_RTL (FRIBIDI_MASK_STRONG | FRIBIDI_MASK_LETTER [| RTL]).
PAR_LTR = 0x110
PAR_RTL = 0x111
_NAMES = {"darwin": ["libfribidi.0.dylib"], "win32": ["fribidi-0.dll", "libfribidi-0.dll"]}.get(
    sys.platform, ["libfribidi.so.0"]
)


def _load() -> ctypes.CDLL:
    for name in [*_NAMES, ctypes.util.find_library("fribidi")]:
        if name:
            try:
                library = ctypes.CDLL(name)
            except OSError:
                continue
            library.fribidi_log2vis.restype = ctypes.c_byte
            library.fribidi_log2vis.argtypes = [
                ctypes.POINTER(ctypes.c_uint32),  # FriBidiChar *str
                ctypes.c_int,  # FriBidiStrIndex len
                ctypes.POINTER(ctypes.c_uint32),  # FriBidiParType *pbase_dir
                ctypes.c_void_p,  # FriBidiChar *visual_str (not wanted)
                ctypes.c_void_p,  # FriBidiStrIndex *positions_L_to_V (not wanted)
                ctypes.POINTER(ctypes.c_int),  # FriBidiStrIndex *positions_V_to_L
                ctypes.POINTER(ctypes.c_byte),  # FriBidiLevel *embedding_levels
            ]
            return library
    raise RuntimeError(
        "FriBiDi (libfribidi.so.0) is not installed: right-to-left text cannot be ordered "
        "(Debian: apt-get install libfribidi0; the variants image: dnf install fribidi)"
    )


_FRIBIDI = _load()


@lru_cache(maxsize=4096)
def visual(line: str, rtl: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the embedding level of each character of `line`, in logical order; the logical index of each visual
    position, left to right), for a paragraph direction `rtl` (right-to-left) or left-to-right."""
    size = len(line)
    if size == 0:
        return (), ()
    codes = (ctypes.c_uint32 * size)(*map(ord, line))
    base = ctypes.c_uint32(PAR_RTL if rtl else PAR_LTR)
    order = (ctypes.c_int * size)()
    levels = (ctypes.c_byte * size)()
    if _FRIBIDI.fribidi_log2vis(codes, size, ctypes.byref(base), None, None, order, levels) == 0:
        raise RuntimeError(f"FriBiDi could not order the line {line!r}")
    return tuple(levels), tuple(order)


def runs(line: str, rtl: bool, cut: tuple[int, ...] = ()) -> list[tuple[int, int, bool]]:
    """The line as runs of one embedding level in visual order, left to right: (start, end) logical indices and
    whether the run is right-to-left (drawn so by raqm). A run also ends at each index of `cut` (where the font
    changes). The runs are ordered by rule L2 on FriBiDi's levels: from the highest level to the lowest odd one,
    every sequence of runs at that level or higher is reversed. That is FriBiDi's visual order, but for combining
    marks, which stay after their base in logical order within a run (raqm places them)."""
    levels, _ = visual(line, rtl)
    if not levels:
        return []
    cuts = set(cut)
    found: list[tuple[int, int, int]] = []  # (start, end, level), logical order
    start = 0
    for index in range(1, len(line) + 1):
        if index == len(line) or levels[index] != levels[start] or index in cuts:
            found.append((start, index, levels[start]))
            start = index
    highest = max(levels)
    lowest_odd = min(level for level in levels if level % 2) if any(level % 2 for level in levels) else highest + 1
    for level in range(highest, lowest_odd - 1, -1):
        at = 0
        while at < len(found):
            if found[at][2] < level:
                at += 1
                continue
            end = at
            while end < len(found) and found[end][2] >= level:
                end += 1
            found[at:end] = found[at:end][::-1]
            at = end
    return [(start, end, level % 2 == 1) for start, end, level in found]
