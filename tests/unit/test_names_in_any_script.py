"""Names in any script keep a readable identity in campaign ids and product folders (CONTRACT §3), Latin names
keep the ids they always had, and the local stand-in image draws a name in any script with the shipped fonts."""

import io
import re

import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from handlers.generator.models import ImageRequest
from handlers.generator.placeholder import PlaceholderImages
from handlers.parser.campaign import campaign_id
from handlers.shared import glyphs
from handlers.shared.bucket_layout import generated_key, variant_key
from handlers.shared.text_runs import HANDLERS, runs

# name -> its readable form, as anyascii transliterates it (by character: Han read in Mandarin, no unwritten vowels)
IN_OTHER_SCRIPTS = {
    "عصير البرتقال": "syr-lbrtql",  # Arabic: orange juice
    "抹茶ラテ": "mocharate",  # Japanese: matcha latte
    "ชาเขียว": "chaekhiyw",  # Thai: green tea
    "मसाला चाय": "msala-cay",  # Hindi: masala chai
}
# Today's ids for Latin names, unchanged: accents dropped, punctuation and symbols dropped.
LATIN = {
    "Summer Splash 2026": "summer-splash-2026",
    "Café Crème": "cafe-creme",
    "Ben & Jerry’s": "ben-jerrys",
    "Citrus ☕ Water": "citrus-water",
}


@pytest.mark.parametrize("name", [*IN_OTHER_SCRIPTS, *LATIN])
def test_a_campaign_id_is_the_names_readable_form_and_eight_hex_digits(name):
    expected = {**IN_OTHER_SCRIPTS, **LATIN}[name]
    made = campaign_id(name, "bucket/input/campaign-briefs/brief.json#v1")
    assert re.fullmatch(re.escape(expected) + r"-[0-9a-f]{8}", made), made


@pytest.mark.parametrize("name", IN_OTHER_SCRIPTS)
def test_product_folders_keep_the_names_readable_form(name):
    readable = IN_OTHER_SCRIPTS[name]
    assert variant_key("c-1a2b3c4d", 2, name, "instagram-square") == (
        f"output/c-1a2b3c4d/variants/02-{readable}/instagram-square.jpg"
    )
    assert generated_key("c-1a2b3c4d", 0, name) == f"output/c-1a2b3c4d/generated/00-{readable}.png"


def test_letters_that_had_no_ascii_form_are_transliterated_instead_of_lost():
    assert campaign_id("Straße", "x").rsplit("-", 1)[0] == "strasse"  # was "strae"
    assert campaign_id("Smørrebrød", "x").rsplit("-", 1)[0] == "smorrebrod"  # was "smrrebrd"


def test_a_name_with_nothing_readable_falls_back_to_a_word():
    assert campaign_id("😀🎉", "x").rsplit("-", 1)[0] == "campaign"
    assert variant_key("c", 0, "★★★", "story") == "output/c/variants/00-product/story.jpg"


def test_ids_are_url_safe_and_case_safe_in_every_script():
    for name in [*IN_OTHER_SCRIPTS, *LATIN, "ÉTÉ Été été", "Ἑλλάς / Москва? #1"]:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", campaign_id(name, "x")), name
    assert campaign_id("ÉTÉ", "x") == campaign_id("été", "x")


# The font the chain should pick for each script, stated here, not read from the chain.
FAMILY = {
    "抹茶ラテ": "Noto Sans CJK SC",
    "عصير البرتقال": "Noto Sans Arabic",
    "ชาเขียว": "Noto Sans Thai",
    "मसाला चाय": "Noto Sans Devanagari",
}


@pytest.mark.parametrize("name", FAMILY)
def test_the_stand_in_draws_a_name_in_any_script_with_a_font_that_has_every_glyph(name):
    fonts = {index for index, _ in runs(name)}
    assert {glyphs.chain()[index].family for index in fonts} == {FAMILY[name]}
    for index, run in runs(name):
        cmap = TTFont(HANDLERS / glyphs.chain()[index].file, fontNumber=0, lazy=True).getBestCmap()
        missing = [f"U+{ord(char):04X}" for char in run if not char.isspace() and ord(char) not in cmap]
        assert missing == [], f"{name}: no glyph for {missing} in {glyphs.chain()[index].family}"


def label_area(name: str) -> Image.Image:
    """The stand-in's label (the white band on the bottle), where the name is drawn."""
    png = PlaceholderImages().generate(ImageRequest("a bottle", "", seed=7, width=512, height=512, label=name))
    return Image.open(io.BytesIO(png)).convert("L").crop((200, 262, 312, 322))


@pytest.mark.parametrize("name", FAMILY)
def test_the_stand_in_shows_the_name_not_missing_glyph_boxes(name):
    # U+E000 is a private-use character no shipped font has: it draws as the missing-glyph box.
    boxes = label_area("\ue000" * len(name))
    drawn = label_area(name)
    assert drawn.getextrema()[0] < 100, "the name is drawn in dark ink on the label"
    assert drawn.tobytes() != boxes.tobytes()
