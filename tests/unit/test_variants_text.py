"""Every script, or a clear refusal: each character drawn by a font that has it (checked against the fonts'
own character maps with fontTools), complex scripts shaped, right-to-left lines right-aligned, CJK lines
broken between characters; the parser refuses what no shipped font can draw."""

import io
import json
from functools import cache
from pathlib import Path

import numpy
import pytest
from fontTools.ttLib import TTFont
from PIL import Image, features

from handlers.parser.brief import check_brief
from handlers.shared import glyphs
from handlers.variants import bidi, text
from handlers.variants.checks import check, text_floor
from handlers.variants.framing import frame_product, placements
from handlers.variants.layout import Box
from handlers.variants.render import render_all
from tests.documented import WCAG_AA_CONTRAST

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
MESSAGES = {
    "en": ("Stay cool all summer", "Noto Sans"),
    "ar": ("ابقَ منتعشاً طوال الصيف مع نكهاتنا الجديدة", "Noto Sans Arabic"),
    "he": ("הישארו רעננים כל הקיץ עם הטעמים החדשים", "Noto Sans Hebrew"),
    "zh": ("整个夏天都保持清凉，尝尝三种全新口味的气泡水", "Noto Sans CJK SC"),
    "ja": ("夏じゅう涼しく。新しい三つのスパークリングフレーバー", "Noto Sans CJK SC"),
    "ko": ("여름 내내 시원하게 새로운 탄산수 세 가지 맛", "Noto Sans CJK SC"),
    "hi": ("पूरी गर्मी ठंडे रहें, तीन नए स्वादों के साथ", "Noto Sans Devanagari"),
    "th": ("สดชื่นตลอดฤดูร้อนกับสามรสชาติใหม่", "Noto Sans Thai"),
}
SOURCE = Path(__file__).resolve().parents[2] / "samples/existing-assets/acme/citrus/product.png"


@cache
def cmap(file: str) -> set[int]:
    return set(TTFont(HANDLERS / file, fontNumber=0).getBestCmap())


@pytest.mark.parametrize("language", list(MESSAGES))
def test_every_character_is_drawn_by_a_font_whose_character_map_has_it(language):
    message, family = MESSAGES[language]
    drawn = []
    for index, run in text.runs(message):
        file = glyphs.chain()[index].file
        for char in run:
            if char.isspace() or glyphs.invisible(char):
                continue
            assert ord(char) in cmap(file), f"U+{ord(char):04X} {char!r} drawn with {file}, which lacks it"
            drawn.append(char)
    assert "".join(drawn) == "".join(c for c in message if not c.isspace())
    assert family in {glyphs.chain()[i].family for i, _ in text.runs(message)}


@pytest.mark.parametrize("language", list(MESSAGES))
def test_each_language_renders_in_all_sizes_with_its_font_recorded(language):
    message, family = MESSAGES[language]
    variants = render_all(SOURCE.read_bytes(), message, ["#0A84FF", "#FFFFFF"])
    assert len(variants) == 5
    for variant in variants:
        assert family in variant.check.fonts
        assert variant.check.overlap_px == 0 and variant.check.contrast >= WCAG_AA_CONTRAST, variant.check.reasons
        assert "".join(variant.layout.lines).replace(" ", "") == message.replace(" ", ""), "nothing dropped"


def ink_rows(message: str, region: Box, size, placement) -> tuple[list[tuple[int, int]], text.TextLayout]:
    """Draw the message in black on white; the ink's left and right edge on each line."""
    canvas = Image.new("RGB", size, (255, 255, 255))
    fitted = text.layout(message, region, size, placement)
    text.draw_message(canvas, fitted, text.Ink((0, 0, 0), None, 21.0))
    ink = numpy.asarray(canvas.convert("L")) < 128
    rows = []
    for row in range(len(fitted.lines)):
        top = fitted.text.top + row * fitted.line_height
        band = ink[top : top + fitted.line_height]
        columns = numpy.flatnonzero(band.any(axis=0))
        rows.append((int(columns[0]), int(columns[-1]) + 1))
    return rows, fitted


@pytest.mark.parametrize("language", ["ar", "he"])
def test_right_to_left_lines_are_right_aligned(language):
    message, _ = MESSAGES[language]
    size = (1200, 630)
    region, _ = placements(size)["beside-right"]
    rows, fitted = ink_rows(message + " " + message, region, size, "beside-right")
    assert fitted.rtl and len(rows) >= 2
    rights = [right for _, right in rows]
    assert max(rights) - min(rights) <= 4, rights  # one right edge
    assert max(rights) >= fitted.text.right - 6 and max(rights) <= fitted.text.right + 2
    lefts = [left for left, _ in rows]
    assert max(lefts) - min(lefts) > 20, "ragged on the left, as right-aligned text is"


def test_left_to_right_lines_beside_the_product_are_left_aligned():
    size = (1200, 630)
    region, _ = placements(size)["beside-right"]
    rows, fitted = ink_rows("Stay cool all summer with three new sparkling flavours", region, size, "beside-right")
    lefts = [left for left, _ in rows]
    assert len(rows) >= 2 and max(lefts) - min(lefts) <= 6, lefts


def test_arabic_is_shaped_into_joined_letters():
    assert features.check("raqm"), "Pillow's raqm layout (HarfBuzz + FriBiDi) is needed to shape Arabic"
    word = "سلام"
    face = text.font(next(i for i, _ in text.runs(word)), 64)
    isolated = sum(face.getlength(char) for char in word)
    # Joined (initial/medial/final) forms are narrower than the letters' isolated forms side by side.
    assert face.getlength(word) < isolated * 0.9


def test_an_emoji_or_symbol_is_drawn_by_the_fallback_font():
    for index, run in text.runs("Sale ★ 😀"):
        for char in run.strip():
            assert ord(char) in cmap(glyphs.chain()[index].file), char


def brief(message) -> bytes:
    return json.dumps({"campaign_name": "c", "campaign_message": message, "products": [{"name": "p"}]}).encode()


def test_the_parser_refuses_characters_no_font_has_listing_them():
    check = check_brief(brief({"en-US": "Hello", "egy-EG": "Hi 𓀀 and ꡀ"}), 100_000)
    assert not check.ok
    (violation,) = check.violations
    assert violation.path == "$.campaign_message.egy-EG"
    assert "U+13000" in violation.message and "U+A840" in violation.message and "2 character(s)" in violation.message


@pytest.mark.parametrize("message", ["\u200b", "\u200b \u200d\u2060", " \ufeff "])
def test_the_parser_refuses_a_message_of_only_invisible_characters(message):
    check = check_brief(brief(message), 100_000)
    assert not check.ok and "no visible character" in check.violations[0].message


def test_the_parser_accepts_every_language_above_and_localized_messages():
    assert check_brief(brief({k: m for k, (m, _) in MESSAGES.items()}), 100_000).ok
    for message, _ in MESSAGES.values():
        assert check_brief(brief(message), 100_000).ok, message


def test_a_rendered_arabic_variant_has_its_text_at_the_right_of_its_block():
    message, _ = MESSAGES["ar"]
    variant = next(v for v in render_all(SOURCE.read_bytes(), message) if v.name == "facebook-feed")
    assert variant.layout.rtl
    pixels = numpy.asarray(Image.open(io.BytesIO(variant.jpeg)).convert("L"), numpy.int16)
    block = variant.layout.text
    inside = pixels[block.top : block.bottom, block.left : block.right]
    dark = numpy.flatnonzero((inside < 80).any(axis=0))
    assert dark[-1] >= block.width - 8, "the lines end at the block's right edge"


def test_a_locale_that_is_not_a_language_tag_is_refused_in_plain_words():
    check = check_brief(brief({"en-US": "Hello", "english please": "Hi"}), 100_000)
    (violation,) = check.violations
    assert violation.path == "$.campaign_message" and violation.value == "english please"
    assert "not a language tag" in violation.message and "en-US" in violation.message


def test_a_long_compound_is_hyphenated_by_its_language_before_the_size_goes_down():
    size = (1200, 630)
    region, _ = placements(size)["beside-right"]
    message = "Sommerfrischegetränkeauswahl für die ganze Familie"
    unknown = text.layout(message, region, size, "beside-right")  # no language: no dictionary
    german = text.layout(message, region, size, "beside-right", "de-DE")
    assert "Sommerfrischegetränkeauswahl" in unknown.lines  # whole, so set small
    assert german.lines[0].endswith("-") and german.lines[0][:-1] + german.lines[1] == "Sommerfrischegetränkeauswahl"
    assert german.font_size > unknown.font_size and german.font_size >= text_floor(size)


def test_thai_breaks_between_words_instead_of_being_set_smaller():
    size = (1200, 630)
    region, _ = placements(size)["beside-right"]
    message = "สดชื่นตลอดฤดูร้อนกับสามรสชาติใหม่"
    fitted = text.layout(message, region, size, "beside-right", "th-TH")
    assert len(fitted.lines) >= 2 and "".join(fitted.lines) == message
    words = ["สดชื่น", "ตลอด", "ฤดู", "ร้อน", "กับ", "สาม", "รสชาติ", "ใหม่"]  # by hand
    word_ends = {sum(map(len, words[: i + 1])) for i in range(len(words))}
    assert {sum(map(len, fitted.lines[: i + 1])) for i in range(len(fitted.lines))} <= word_ends, fitted.lines
    assert fitted.font_size >= text_floor(size)


# "30% off Acme Citrus this summer!" The Unicode Bidirectional Algorithm, over the whole line, right to left: the
# digits take the Arabic context (AN), so "%" goes to their left; the Latin name reads left to right in its place;
# "!" ends the sentence at the left. Visual order, left to right (as FriBiDi's own `fribidi --rtl` prints it):
ARABIC_MIXED = "خصم 30% على Acme Citrus هذا الصيف!"
ARABIC_MIXED_VISUAL = "!فيصلا اذه Acme Citrus ىلع %30 مصخ"


def test_an_arabic_line_with_a_latin_name_and_digits_has_fribidis_visual_order():
    levels, order = bidi.visual(ARABIC_MIXED, rtl=True)
    assert "".join(ARABIC_MIXED[i] for i in order) == ARABIC_MIXED_VISUAL
    drawn = "".join(
        ARABIC_MIXED[start:end][::-1] if backwards else ARABIC_MIXED[start:end]
        for start, end, backwards in bidi.runs(ARABIC_MIXED, True)
    )
    assert drawn == ARABIC_MIXED_VISUAL
    assert [levels[ARABIC_MIXED.index(w)] for w in ("خصم", "30", "Acme", "الصيف")] == [1, 2, 2, 1]


def test_the_mixed_line_is_drawn_in_that_order_although_its_runs_use_different_fonts():
    size = (2000, 630)  # wide enough for the line at the largest size
    fitted = text.layout(ARABIC_MIXED, Box(0, 0, *size), size, "beside-right", "ar")
    assert fitted.rtl and fitted.lines == [ARABIC_MIXED], fitted.lines
    placed = [(x, run, glyphs.chain()[index].family) for index, x, _, run, _ in text._placed_runs(fitted)]
    directions = [direction for *_, direction in text._placed_runs(fitted)]
    drawn = "".join(run[::-1] if d == "rtl" else run for (_, run, _), d in zip(placed, directions, strict=True))
    assert drawn == ARABIC_MIXED_VISUAL
    assert {family for _, _, family in placed} >= {"Noto Sans", "Noto Sans Arabic"}
    xs = [x for x, _, _ in placed]
    assert xs == sorted(xs), "runs are placed left to right"

    def left_of(piece: str) -> float:
        return next(x for x, run, _ in placed if piece in run)

    assert left_of("!") < left_of("هذا") < left_of("Acme") < left_of("على") < left_of("30") < left_of("خصم")
    assert left_of("%") < left_of("30"), "the per cent sign to the left of the digits, as in Arabic text"
    # Spaces stay between the words they separate: no two words fused.
    canvas = Image.new("RGB", size, (255, 255, 255))
    text.draw_message(canvas, fitted, text.Ink((0, 0, 0), None, 21.0))
    ink = numpy.asarray(canvas.convert("L")) < 128
    columns = numpy.flatnonzero(ink.any(axis=0))
    gaps = numpy.diff(columns)
    assert (gaps >= fitted.font_size // 6).sum() >= 6, "six spaces between seven words"
    assert columns[-1] <= fitted.text.right + 2 and columns[0] >= fitted.text.left - 2


def test_an_emoji_is_drawn_in_colour_by_the_colour_emoji_font():
    assert [glyphs.chain()[i].family for i, _ in text.runs("Fresh 🍋 deals")] == [
        "Noto Sans",
        "Noto Color Emoji",
        "Noto Sans",
    ]
    assert text.runs("👍🏽👨\u200d👩\u200d👧") == (
        (glyphs.emoji_font(), "👍🏽👨\u200d👩\u200d👧"),
    )  # modifiers, joiners
    emoji = glyphs.emoji_font()
    assert text.runs("☀")[0][0] != emoji and text.runs("☀\ufe0f")[0][0] == emoji  # U+FE0F asks for the emoji
    size = (1200, 630)
    region, _ = placements(size)["beside-right"]
    fitted = text.layout("Fresh 🍋 deals", region, size, "beside-right", "en")
    canvas = Image.new("RGB", size, (255, 255, 255))
    text.draw_message(canvas, fitted, text.Ink((0, 0, 0), None, 21.0))
    pixels = numpy.asarray(canvas, numpy.int16)
    yellow = (pixels[..., 0] > 200) & (pixels[..., 1] > 150) & (pixels[..., 2] < 120)  # a lemon, in black text
    assert yellow.sum() > fitted.font_size**2 // 4, yellow.sum()
    box = text.ink_box(fitted, text.Ink((0, 0, 0), None, 21.0))
    rows, cols = numpy.nonzero((pixels != 255).any(axis=2))
    assert box.left <= cols.min() and cols.max() < box.right and box.top <= rows.min() and rows.max() < box.bottom


def test_the_parser_accepts_emoji_and_names_one_no_font_has():
    assert check_brief(brief("Fresh 🍋 deals 👍🏽 for the family 👨\u200d👩\u200d👧"), 100_000).ok
    check = check_brief(brief("New 🫩 flavour"), 100_000)  # Emoji 16.0, newer than the shipped font
    assert not check.ok and "U+1FAE9" in check.violations[0].message


@pytest.mark.parametrize(
    ("size", "floor"), [((1080, 1080), 38), ((1080, 1920), 38), ((1200, 630), 23), ((1200, 627), 22)]
)
def test_the_text_floor_is_three_and_a_half_per_cent_of_the_shorter_side(size, floor):
    # 3.5 % of 1080 is 37.8, of 630 22.05, of 627 21.945: rounded up.
    assert text_floor(size) == floor
    framing = frame_product((1000, 1000), Box(300, 300, 700, 700), size, 1.0)
    block = Box(0, 0, 1, 1)
    below = check(framing, block, contrast=21.0, text_px=floor - 1, upscale=1.0, fonts=[], extended=False)
    at = check(framing, block, contrast=21.0, text_px=floor, upscale=1.0, fonts=[], extended=False)
    assert any(f"{floor - 1} px, below 3.5%" in reason and f"({floor} px)" in reason for reason in below.reasons)
    assert below.needs_review and not any("px, below" in reason for reason in at.reasons)


def test_a_message_too_long_for_the_floor_marks_the_variant_for_review():
    message = " ".join(["Stay cool all summer with three new sparkling flavours"] * 6)
    variants = render_all(SOURCE.read_bytes(), message, ["#0A84FF", "#FFFFFF"])
    small = [v for v in variants if v.layout.font_size < text_floor((v.width, v.height))]
    assert small, [v.layout.font_size for v in variants]
    for variant in small:
        assert any("below 3.5%" in reason for reason in variant.check.reasons), variant.check.reasons
    for variant in render_all(SOURCE.read_bytes(), MESSAGES["en"][0]):
        assert variant.layout.font_size >= text_floor((variant.width, variant.height))
        assert not any("below 3.5%" in reason for reason in variant.check.reasons)


@pytest.mark.parametrize(
    "behind",
    [
        [0.0, 0.02, 0.05],  # all darker than the ink
        [0.6, 0.9, 1.0],  # all lighter
        [0.0, 0.18, 1.0],  # the ink's own luminance lies among them
    ],
)
@pytest.mark.parametrize("colour", [(255, 255, 255), (0, 0, 0), (0x0A, 0x84, 0xFF), (118, 118, 118)])
def test_the_worst_contrast_is_against_the_pixel_behind_the_text_closest_to_the_ink(behind, colour):
    values = Image.new("F", (len(behind), 1))
    values.putdata(behind)
    # WCAG 2: (lighter + 0.05) / (darker + 0.05), relative luminance of sRGB
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in colour]
    ink = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    expected = min((max(ink, b) + 0.05) / (min(ink, b) + 0.05) for b in behind)
    assert text.worst_contrast(colour, values) == pytest.approx(expected, rel=1e-5)
