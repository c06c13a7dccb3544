"""Where a message's lines may break, and where they do (pure: widths come from the caller).

Break opportunities are those of the Unicode line breaking algorithm (UAX #14) as thaibreak computes them, which
also segments Thai into dictionary words; then, by language:
- Japanese and Chinese break only between phrases (BudouX's models), never inside a word, and never before closing
  punctuation or a small kana (kinsoku: UAX #14's strict classes, which BudouX's phrases also keep);
- Korean breaks only at spaces (keep-all, as Korean headlines are set);
- a word wider than the line is hyphenated at its language's hyphenation points (pyphen's dictionaries) before the
  text is set smaller, once (over two lines at most: a word that needs three is set smaller); a word is never cut
  between letters, but for the last resort of the smallest size.
Lines are then chosen as a whole, not greedily: the fewest lines, balanced (the least squared slack over every line,
the last included), and no single-word last line where another break with as many lines avoids one (in Japanese and
Chinese, no last line of one or two characters).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import budoux
import pyphen
import thaibreak

HYPHEN = "-"  # drawn at the end of a line broken inside a word
# Costs, in units of a whole line's width squared (a line half empty costs 0.25).
HYPHEN_COST = 0.3
ORPHAN_COST = 1.0
# Spaces a line may break after (no-break, narrow no-break and figure spaces hold their neighbours together).
_BREAKING_SPACES = frozenset(" \t\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f\u3000")
# UAX #14 LB13-LB15b: no break after spaces before these (closing punctuation, "!", "?", a final quote, "%"), nor
# after an opening bracket or initial quote and its spaces.
_NO_BREAK_BEFORE = frozenset("!?,.:;/%…‼⁉")
_CLOSING = ("Pe", "Pf")
_OPENING = ("Ps", "Pi")


def _check_thaibreak() -> None:
    """thaibreak answers the text unsegmented when its library did not load: say so instead of breaking nowhere."""
    if thaibreak.words("ฉันรักภาษาไทย") != ["ฉัน", "รัก", "ภาษา", "ไทย"]:
        raise RuntimeError("thaibreak's segmenter did not load (its shared library or dictionary is missing)")


_check_thaibreak()


def _cjk(char: str) -> bool:
    """Written without spaces between words: Han, kana, CJK symbols and punctuation, full-width forms."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x2FFF
        or 0x3000 <= code <= 0x30FF
        or 0x31F0 <= code <= 0x31FF
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x20000 <= code <= 0x3FFFF
    )


def _hangul(char: str) -> bool:
    code = ord(char)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def _kana(char: str) -> bool:
    return 0x3040 <= ord(char) <= 0x30FF


@lru_cache(maxsize=8)
def _phrase_parser(model: str) -> budoux.Parser:
    loaders = {
        "ja": budoux.load_default_japanese_parser,
        "zh-hans": budoux.load_default_simplified_chinese_parser,
        "zh-hant": budoux.load_default_traditional_chinese_parser,
    }
    return loaders[model]()


def phrase_model(paragraph: str, language: str | None) -> str:
    """BudouX's model for the paragraph: by its language tag, else Japanese where there is kana, else Chinese."""
    tag = (language or "").lower()
    if tag.startswith("ja"):
        return "ja"
    if tag.startswith("zh"):
        traditional = any(part in tag for part in ("hant", "-tw", "-hk", "-mo"))
        return "zh-hant" if traditional else "zh-hans"
    return "ja" if any(_kana(c) for c in paragraph) else "zh-hans"


def _phrase_ends(paragraph: str, language: str | None) -> set[int]:
    ends, position = set(), 0
    for phrase in _phrase_parser(phrase_model(paragraph, language)).parse(paragraph):
        position += len(phrase)
        ends.add(position)
    return ends


def _marker(text: str) -> str:
    return next(c for c in "\x01\x02\x03\x04\x05\x06\x07" if c not in text)


@lru_cache(maxsize=1024)
def opportunities(paragraph: str, language: str | None = None) -> tuple[int, ...]:
    """Indices of `paragraph` before which a line may start (0 and len excluded)."""
    mark = _marker(paragraph)
    found: set[int] = set()
    index = 0
    for char in thaibreak.lines(paragraph, mark):
        if char == mark:
            found.add(index)
        else:
            index += 1
    for at in range(1, len(paragraph)):
        before, after = paragraph[at - 1], paragraph[at]
        if before == "\u200b":  # ZERO WIDTH SPACE: a break the writer placed
            found.add(at)
        if before in _BREAKING_SPACES and after not in _BREAKING_SPACES and _may_break_after_spaces(paragraph, at):
            found.add(at)
    between_cjk = {at for at in found if _cjk(paragraph[at - 1]) and _cjk(paragraph[at])}
    if between_cjk:
        found -= between_cjk - _phrase_ends(paragraph, language)
    found = {at for at in found if not (_hangul(paragraph[at - 1]) and _hangul(paragraph[at]))}
    return tuple(sorted(at for at in found if 0 < at < len(paragraph)))


def _may_break_after_spaces(paragraph: str, at: int) -> bool:
    after = paragraph[at]
    if after in _NO_BREAK_BEFORE or unicodedata.category(after) in _CLOSING:
        return False
    start = at
    while start > 0 and paragraph[start - 1] in _BREAKING_SPACES:
        start -= 1
    return start == 0 or unicodedata.category(paragraph[start - 1]) not in _OPENING


@dataclass(frozen=True)
class Segment:
    """Text between two break opportunities: what is drawn, and the spaces after it (dropped at a line's end)."""

    text: str
    space: str


@lru_cache(maxsize=1024)
def segments(paragraph: str, language: str | None = None) -> tuple[Segment, ...]:
    paragraph = paragraph.strip("".join(_BREAKING_SPACES))
    found = []
    start = 0
    for end in (*opportunities(paragraph, language), len(paragraph)):
        chunk = paragraph[start:end]
        text = chunk.rstrip("".join(_BREAKING_SPACES))
        found.append(Segment(text, chunk[len(text) :]))
        start = end
    return tuple(segment for segment in found if segment.text or segment.space)


@lru_cache(maxsize=8)
def _dictionary(language: str) -> pyphen.Pyphen | None:
    name = pyphen.language_fallback(language.replace("-", "_"))
    return pyphen.Pyphen(lang=name) if name else None


@lru_cache(maxsize=1024)
def syllables(word: str, language: str | None) -> tuple[str, ...]:
    """`word` cut at its language's hyphenation points (one part when it has none, or the language no dictionary)."""
    dictionary = _dictionary(language) if language else None
    if dictionary is None:
        return (word,)
    points = [0, *dictionary.positions(word), len(word)]
    return tuple(word[a:b] for a, b in zip(points, points[1:], strict=False) if b > a)


@dataclass(frozen=True)
class _Piece:
    text: str
    space: str  # after the piece, between it and the next on the same line
    hyphen: bool  # breaking after it is breaking inside a word: the line ends with HYPHEN
    word: int  # which segment it comes from


def _clusters(word: str) -> list[str]:
    """`word` cut between characters, never before a combining mark (the last resort)."""
    parts: list[str] = []
    for char in word:
        if parts and (unicodedata.category(char)[0] == "M" or unicodedata.category(char) == "Cf"):
            parts[-1] += char
        else:
            parts.append(char)
    return parts


def _pieces(
    found: tuple[Segment, ...],
    max_width: float,
    measure: Callable[[str], float],
    language: str | None,
    last_resort: bool,
) -> list[_Piece] | None:
    """The segments, with those wider than the line hyphenated; None when a part is still wider than the line."""
    pieces: list[_Piece] = []
    for number, segment in enumerate(found):
        parts: list[str] = [segment.text]
        if measure(segment.text) > max_width:
            parts = list(syllables(segment.text, language))
            if any(measure(part + HYPHEN) > max_width for part in parts[:-1]) or measure(parts[-1]) > max_width:
                if not last_resort:
                    return None
                parts = _clusters(segment.text)
        for at, part in enumerate(parts):
            last = at == len(parts) - 1
            pieces.append(_Piece(part, segment.space if last else "", not last and not last_resort, number))
    return pieces


def break_paragraph(
    paragraph: str,
    max_width: float,
    measure: Callable[[str], float],
    language: str | None = None,
    last_resort: bool = False,
) -> list[str] | None:
    """The lines of one paragraph no wider than `max_width`: the fewest lines, balanced, hyphenated only where a
    word is wider than the line, no single-word last line where as many lines allow another break; None when it
    cannot fit (a part of a word wider than the line). `last_resort`: cut such a word between characters instead.
    Widths are added up piece by piece (`measure` is called once per piece and space): callers measure the lines
    found exactly."""
    pieces = _pieces(segments(paragraph, language), max_width, measure, language, last_resort)
    if pieces is None:
        return None
    if not pieces:
        return [""]
    count = len(pieces)
    widths = [measure(p.text) for p in pieces]
    gaps = [measure(p.space) if p.space else 0.0 for p in pieces]
    hyphen = measure(HYPHEN)
    words = len({p.word for p in pieces})
    # best[j]: (lines, cost, start of the last line) of the best way to set pieces[:j]
    best: list[tuple[int, float, int] | None] = [None] * (count + 1)
    best[0] = (0, 0.0, 0)
    for start in range(count):
        reached = best[start]
        if reached is None:
            continue
        width = 0.0
        for end in range(start + 1, count + 1):
            width += widths[end - 1] + (gaps[end - 2] if end - 1 > start else 0.0)
            ends_in_word = pieces[end - 1].hyphen and end < count
            line_width = width + (hyphen if ends_in_word else 0.0)
            if line_width > max_width and not (end == start + 1 and last_resort):
                break  # (at the last resort, a piece wider than the line still gets a line of its own)
            if ends_in_word and start > 0 and pieces[start - 1].hyphen and pieces[start].word == pieces[end - 1].word:
                continue  # the middle of a word: a word is hyphenated once, over two lines at most
            slack = max(0.0, max_width - line_width) / max_width
            cost = slack * slack + (HYPHEN_COST if ends_in_word else 0.0)
            if end == count and words > 1 and _orphan(pieces, start, end):
                cost += ORPHAN_COST
            candidate = (reached[0] + 1, reached[1] + cost, start)
            current = best[end]
            if current is None or candidate[:2] < current[:2]:
                best[end] = candidate
    if best[count] is None:
        return None
    lines: list[str] = []
    end = count
    while end > 0:
        found = best[end]
        assert found is not None
        start = found[2]
        line = "".join(p.text + p.space for p in pieces[start : end - 1]) + pieces[end - 1].text
        if pieces[end - 1].hyphen and end < count:
            line += HYPHEN
        lines.append(line)
        end = start
    return lines[::-1]


def _orphan(pieces: list[_Piece], start: int, end: int) -> bool:
    """A last line of one word (or the end of a hyphenated one). In Japanese and Chinese a phrase of three
    characters or more is a line of its own as typesetters set it: only one or two characters are an orphan."""
    if len({p.word for p in pieces[start:end]}) > 1:
        return False
    text = "".join(p.text for p in pieces[start:end])
    return not (all(_cjk(c) for c in text) and len(text) > 2)


def break_lines(
    message: str,
    max_width: float,
    measure: Callable[[str], float],
    language: str | None = None,
    last_resort: bool = False,
) -> list[str] | None:
    """`break_paragraph` for each paragraph of `message` (separated by line breaks)."""
    lines: list[str] = []
    for paragraph in message.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        found = break_paragraph(paragraph, max_width, measure, language, last_resort)
        if found is None:
            return None
        lines += [line for line in found if line]
    return lines or [""]
