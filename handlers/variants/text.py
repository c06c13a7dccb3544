"""The message on the picture: every script, legible against what is actually behind it.

Each character is drawn with the first font of the shipped chain that has it (handlers/shared/glyphs.py:
Noto Sans, Arabic, Hebrew, Devanagari, Thai, CJK, then DejaVu for symbols), so no character becomes a box;
emoji (Unicode's emoji presentation, or U+FE0F after a symbol) in colour with Noto Color Emoji. Lines break
where linebreak.py says (UAX #14, phrases for Japanese and Chinese, Thai words, hyphenation by language,
balanced, no orphan). Each line is ordered as a whole by the Unicode Bidirectional Algorithm (bidi.py: FriBiDi),
then cut where its level or its font changes, and each run shaped by raqm (HarfBuzz) in its own direction;
right-to-left paragraphs right-aligned. One treatment for every size of a product (choose_inks): a brand colour
as the text colour where it keeps WCAG contrast >= 4.5:1 against every part of the picture the text may cover in
every size; else the brand's panel (its first colour that carries legible text) exactly behind the block in every
size, so the brand shows; without brand colours, white or black where legible everywhere, else a dark panel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageMath

from handlers.shared import glyphs
from handlers.shared.text_runs import font, rtl, runs, scale
from handlers.variants import bidi, linebreak
from handlers.variants.layout import (
    MIN_CONTRAST,
    SMALLEST_FONT,
    Box,
    TextLayout,
    contrast,
    fit_text,
    hex_to_rgb,
    luminance,
    palette,
)

MAX_FONT_RATIO = 0.075  # the largest font size, as a share of the frame's shorter side
LINE_SPACING = 1.05  # line step, as a share of the tallest font's ascent + descent
glyphs.chain()  # the fonts' coverage table loads with this module (the cold start), not in the first render


@lru_cache(maxsize=8192)
def measure(text: str, size: int) -> float:
    return sum(_run_length(index, run, size) for index, run in runs(text))


@lru_cache(maxsize=8192)
def _run_length(index: int, run: str, size: int, direction: str | None = None) -> float:
    return font(index, size).getlength(run, direction=direction) * scale(index, size)


REFERENCE_SIZE = 64


def _scaled(text: str, size: int) -> float:
    return measure(text, REFERENCE_SIZE) * size / REFERENCE_SIZE


@lru_cache(maxsize=64)
def _metrics(indexes: tuple[int, ...], size: int) -> tuple[int, int]:
    """(ascent, descent) covering every font of the message."""
    ascent = max(round(font(i, size).getmetrics()[0] * scale(i, size)) for i in indexes)
    descent = max(round(font(i, size).getmetrics()[1] * scale(i, size)) for i in indexes)
    return ascent, descent


def fonts_of(message: str) -> tuple[int, ...]:
    return tuple(sorted({index for index, _ in runs(message)})) or (0,)


def layout(message: str, region: Box, size: tuple[int, int], placement: str, language: str | None = None) -> TextLayout:
    """The message fitted to its region: start-aligned (left, or right for right-to-left scripts) beside
    the product, centred above or below it; as close to the product as the region allows. `language` (a language
    tag: the brief's locale) chooses the phrase model and the hyphenation dictionary (none without one)."""
    indexes = fonts_of(message)
    right_to_left = rtl(message)

    def line_height(font_size: int) -> int:
        # Scaled from the reference size like the widths: the search then loads no face per candidate size.
        return round(sum(_metrics(indexes, REFERENCE_SIZE)) * font_size / REFERENCE_SIZE * LINE_SPACING)

    beside = placement.startswith("beside")
    align = ("end" if right_to_left else "start") if beside else "centre"
    anchor = {"above": "bottom", "below": "top", "cover": "bottom"}.get(placement, "centre")
    max_font = max(12, round(min(size) * MAX_FONT_RATIO))

    def breaker(width: float, measured: Callable[[str], float], last_resort: bool) -> list[str] | None:
        return linebreak.break_lines(message, width, measured, language, last_resort)

    while True:
        # The search measures at one reference size and scales (widths grow with the size), so every size
        # and every candidate line reuses the same few measurements; the lines found are then measured
        # exactly, and a size whose hinted widths overflow by a pixel or two steps down.
        fitted = fit_text(
            message, region, _scaled, line_height, max_font=max_font, anchor=anchor, align=align, breaker=breaker
        )
        exact = max(measure(line, fitted.font_size) for line in fitted.lines)
        if exact <= fitted.text.width:
            break
        if fitted.font_size <= SMALLEST_FONT:  # the smallest size: break the lines by exact widths
            fitted = fit_text(
                message,
                region,
                measure,
                line_height,
                max_font=SMALLEST_FONT,
                anchor=anchor,
                align=align,
                breaker=breaker,
            )
            break
        max_font = fitted.font_size - 1
    return TextLayout(
        fitted.font_size, fitted.lines, fitted.line_height, fitted.band, fitted.text, region, right_to_left
    )


@dataclass(frozen=True)
class Ink:
    text: tuple[int, int, int]
    scrim: tuple[int, int, int] | None  # drawn behind the block when the picture cannot carry the text
    contrast: float  # worst case over the picture (or scrim) behind the text


@dataclass(frozen=True)
class LuminanceMap:
    """Relative luminance (WCAG) of a canvas's text region, averaged over SMOOTHING x SMOOTHING pixels (what
    the eye sees at text size, not single grain); computed once per canvas, shared by every locale."""

    values: Image.Image  # mode F, one value per SMOOTHING x SMOOTHING block
    left: int  # canvas pixel of the values' top-left
    top: int

    def behind(self, block: Box) -> Image.Image | None:
        """The values behind `block` (None when it lies outside the region)."""
        top, left = max(0, (block.top - self.top) // SMOOTHING), max(0, (block.left - self.left) // SMOOTHING)
        bottom = min(self.values.height, -(-(block.bottom - self.top) // SMOOTHING))
        right = min(self.values.width, -(-(block.right - self.left) // SMOOTHING))
        return self.values.crop((left, top, right, bottom)) if right > left and bottom > top else None


def choose_inks(behind: Mapping[str, tuple[LuminanceMap, Box]], brand_colors: list[str] | None) -> dict[str, Ink]:
    """One treatment for every size (a campaign keeps its colour roles from size to size): a brand colour as
    the text colour where it is legible (4.5:1 against every smoothed pixel) behind the text in every size; else,
    with brand colours, the brand's panel behind the text in every size (its first colour that carries legible
    text, with white or black on it), so the brand shows; without, white or black where legible in every size,
    else the default panel. `behind`: per size, its luminance map and the region the text may take."""
    regions = {name: luminances.behind(block) for name, (luminances, block) in behind.items()}
    brand = [hex_to_rgb(c) for c in brand_colors or []]
    for colour in brand or [(255, 255, 255), (0, 0, 0)]:
        measured = {name: worst_contrast(colour, region) for name, region in regions.items()}
        if all(value >= MIN_CONTRAST for value in measured.values()):
            return {name: Ink(colour, None, value) for name, value in measured.items()}
    colours = palette(brand_colors)  # the panel is then all that is behind the text
    return {name: Ink(colours.text, colours.band, contrast(colours.text, colours.band)) for name in regions}


def _linear(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


# Each channel's share of the WCAG relative luminance, per 8-bit value (linearized once).
_WEIGHTED = [[weight * _linear(value) for value in range(256)] for weight in (0.2126, 0.7152, 0.0722)]
SMOOTHING = 4


def luminance_map(canvas: Image.Image, region: Box) -> LuminanceMap:
    left, top = region.left - region.left % SMOOTHING, region.top - region.top % SMOOTHING
    smoothed = canvas.crop((left, top, region.right, region.bottom)).reduce(SMOOTHING)
    red, green, blue = (channel.point(table, "F") for channel, table in zip(smoothed.split(), _WEIGHTED, strict=True))
    values = ImageMath.lambda_eval(lambda a: a["r"] + a["g"] + a["b"], r=red, g=green, b=blue)
    return LuminanceMap(values, left, top)


def worst_contrast(colour: tuple[int, int, int], luminances: Image.Image | None) -> float:
    if luminances is None:
        return 21.0
    ink = luminance(colour)
    # The ratio grows with the distance between the two luminances: an ink lighter (darker) than everything
    # behind it is worst against the lightest (darkest) of it, and only an ink in between needs every pixel.
    darkest, lightest = luminances.getextrema()
    assert isinstance(darkest, float) and isinstance(lightest, float), "a mode F image has float extrema"
    if ink >= lightest:
        return (ink + 0.05) / (lightest + 0.05)
    if ink <= darkest:
        return (darkest + 0.05) / (ink + 0.05)
    ratios = ImageMath.lambda_eval(
        lambda a: (a["max"](a["l"], ink) + 0.05) / (a["min"](a["l"], ink) + 0.05), l=luminances
    )
    return float(ratios.getextrema()[0])


def draw_message(canvas: Image.Image, fitted: TextLayout, ink: Ink, top: int = 0) -> None:
    """Draw the scrim (if any) and the message. `top`: the frame's row at which `canvas` starts (a strip of it)."""
    draw = ImageDraw.Draw(canvas)
    if ink.scrim is not None:
        band = fitted.band
        draw.rectangle((band.left, band.top - top, band.right - 1, band.bottom - 1 - top), fill=ink.scrim)
    for index, x, baseline, run, direction in _placed_runs(fitted):
        if glyphs.chain()[index].bitmap_size:
            picture, left, above = _emoji(index, run, fitted.font_size)
            canvas.paste(picture, (round(x) + left, baseline + above - top), picture)
            continue
        face = font(index, fitted.font_size)
        draw.text((x, baseline - top), run, font=face, fill=ink.text, anchor="ls", direction=direction)


@lru_cache(maxsize=256)
def _emoji(index: int, run: str, size: int) -> tuple[Image.Image, int, int]:
    """A run of colour emoji at `size`: drawn at the font's bitmap size and scaled, with its offset from the pen
    position on the baseline."""
    face = font(index, size)
    bounds = face.getbbox(run, anchor="ls")
    left, top, right, bottom = (
        math.floor(bounds[0]),
        math.floor(bounds[1]),
        math.ceil(bounds[2]),
        math.ceil(bounds[3]),
    )
    picture = Image.new("RGBA", (right - left, bottom - top))
    ImageDraw.Draw(picture).text((-left, -top), run, font=face, anchor="ls", embedded_color=True)
    factor = scale(index, size)
    scaled = picture.resize(
        (max(1, round(picture.width * factor)), max(1, round(picture.height * factor))), Image.Resampling.LANCZOS
    )
    return scaled, round(left * factor), round(top * factor)


def ink_box(fitted: TextLayout, ink: Ink) -> Box:
    """Every pixel `draw_message` may touch: the scrim, and each run's glyphs, which can reach past the line
    boxes (stacked marks above and below, swashes). One pixel more each way for the runs' fractional starts."""
    band = fitted.band
    edges: list[tuple[float, float, float, float]] = (
        [(band.left, band.top, band.right, band.bottom)] if ink.scrim else []
    )
    for index, x, baseline, run, direction in _placed_runs(fitted):
        if glyphs.chain()[index].bitmap_size:
            picture, offset, above = _emoji(index, run, fitted.font_size)
            x0, y0 = round(x) + offset, baseline + above
            edges.append((x0, y0, x0 + picture.width, y0 + picture.height))
            continue
        left, top, right, bottom = font(index, fitted.font_size).getbbox(run, anchor="ls", direction=direction)
        edges.append((x + left, baseline + top, x + right, baseline + bottom))
    if not edges:
        return Box(band.left, band.top, band.left, band.top)
    return Box(
        math.floor(min(e[0] for e in edges)) - 1,
        math.floor(min(e[1] for e in edges)) - 1,
        math.ceil(max(e[2] for e in edges)) + 1,
        math.ceil(max(e[3] for e in edges)) + 1,
    )


def _placed_runs(fitted: TextLayout) -> Iterator[tuple[int, float, int, str, str]]:
    """Each run of the message, left to right on each line: its font, where it starts (x and the baseline, in the
    frame), its text and direction. A line is ordered as a whole (bidi.runs), then cut where the font changes."""
    ascent, _ = _metrics(fonts_of(" ".join(fitted.lines)), fitted.font_size)
    box = fitted.text
    for row, line in enumerate(fitted.lines):
        width = measure(line, fitted.font_size)
        if fitted.rtl:
            x = box.right - width
        elif _centred(fitted):
            x = box.left + (box.width - width) / 2
        else:
            x = box.left
        baseline = box.top + row * fitted.line_height + ascent
        fonts, starts, position = [], [], 0
        for index, run in runs(line):
            starts.append(position)
            fonts += [index] * len(run)
            position += len(run)
        for start, end, backwards in bidi.runs(line, fitted.rtl, tuple(starts)):
            direction = "rtl" if backwards else "ltr"
            piece = line[start:end]
            yield fonts[start], x, baseline, piece, direction
            x += _run_length(fonts[start], piece, fitted.font_size, direction)


def _centred(fitted: TextLayout) -> bool:
    """A block centred in its region has its lines centred too."""
    return abs((fitted.band.left - fitted.frame.left) - (fitted.frame.right - fitted.band.right)) <= 1
