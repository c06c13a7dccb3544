"""The brand logo: in a corner inside the margin, scaled to each size, never over the product or the message."""

import io

import numpy
import pytest
from PIL import Image, ImageDraw

from handlers.variants.layout import Box
from handlers.variants.logo import place
from handlers.variants.render import render_all
from tests.documented import STORY_INTERFACE_ZONES
from tests.unit.test_variants_framing import BRAND, MESSAGE, PRODUCTS, encode, product_pixels, shot

LOGO_GREEN = (20, 170, 60)


def logo(kind: str) -> bytes:
    """A transparent PNG mark (a green ring) or an opaque JPEG wordmark (green on white, 4:1)."""
    if kind == "png":
        image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
        ImageDraw.Draw(image).ellipse((20, 20, 280, 280), outline=LOGO_GREEN + (255,), width=60)
        return encode(image)
    image = Image.new("RGB", (800, 200), LOGO_GREEN)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def green_pixels(jpeg: bytes) -> numpy.ndarray:
    pixels = numpy.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), numpy.int16)
    return numpy.abs(pixels - numpy.array(LOGO_GREEN)).max(axis=-1) < 40


@pytest.mark.parametrize("kind", ["png", "jpeg"])
@pytest.mark.parametrize("product", ["tall-centred", "off-centre", "wide"])
def test_the_logo_sits_in_a_corner_clear_of_the_product_and_the_message(kind, product):
    source_size, box = PRODUCTS[product]
    for variant in render_all(shot("gradient", source_size, box), MESSAGE, BRAND, logo(kind)):
        assert variant.logo is not None, (variant.name, variant.check.reasons)
        width, height = variant.width, variant.height
        margin = round(min(width, height) * 0.05)
        green = green_pixels(variant.jpeg)
        rows, columns = numpy.flatnonzero(green.any(axis=1)), numpy.flatnonzero(green.any(axis=0))
        found = Box(int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1)
        where = f"{variant.name} logo at {found}"
        assert found.inside(Box(margin - 1, margin - 1, width - margin + 1, height - margin + 1)), where
        # In a corner: touching two adjacent sides of the margin (in a story, of the part its interface leaves free).
        top, bottom = STORY_INTERFACE_ZONES.get(variant.name, (margin, margin))
        horizontal = found.left <= margin + 1 or found.right >= width - margin - 1
        vertical = found.top <= top + 1 or found.bottom >= height - bottom - 1
        assert found.top >= top - 1 and found.bottom <= height - bottom + 1, where
        assert horizontal and vertical, where
        # Scaled to the size: about 8% of the shorter side tall (or 25% of the width for a wordmark).
        assert found.height <= min(width, height) * 0.08 + 2, where
        # Never over the product: the product's pixels are all still the product's, none of them green.
        mask = product_pixels(variant.jpeg)
        assert not (mask & green).any(), where
        assert found.overlap(variant.layout.band) == 0, where
        assert variant.check.logo == variant.logo.corner and not variant.check.needs_review, variant.check.reasons


def test_with_no_room_in_any_corner_the_logo_is_left_out_and_the_variant_asks_for_a_look():
    inner = Box(54, 54, 1026, 1026)
    everything = [Box(0, 0, 1080, 1080)]
    assert place((300, 300), inner, (1080, 1080), everything) is None
    # A product filling the frame to its margin: no corner is free.
    image = Image.new("RGB", (1000, 1000), (240, 240, 240))
    ImageDraw.Draw(image).rectangle((0, 0, 999, 999), fill=(200, 30, 160))
    variants = render_all(encode(image), MESSAGE, BRAND, logo("png"))
    for variant in variants:
        if variant.logo is None:
            assert any("logo left out" in reason for reason in variant.check.reasons)
            assert not green_pixels(variant.jpeg).any()


def test_placement_prefers_the_first_free_corner_and_shrinks_before_giving_up():
    inner = Box(54, 54, 1026, 1026)
    top_band = Box(54, 54, 1026, 300)
    found = place((300, 300), inner, (1080, 1080), [top_band, Box(300, 350, 780, 1026)])
    assert found.corner == "bottom-right" and found.box.height == round(1080 * 0.08)
    crowded = [top_band, Box(150, 350, 1026 - 100, 1026)]  # 96 px left free on each side below
    smaller = place((300, 300), inner, (1080, 1080), crowded)
    assert smaller is not None and smaller.box.height < round(1080 * 0.08)
