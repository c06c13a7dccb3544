"""Variants: exact sizes, never stretched, the message inside its region and legible, bombs and corrupt files
refused."""

import io

import numpy
import pytest
from PIL import Image, ImageDraw

from handlers.variants import text
from handlers.variants.framing import inner_box, placements
from handlers.variants.layout import contrast, cover_crop, palette, wrap
from handlers.variants.render import SourceImageError, render_all
from tests.documented import CONTRACT_VARIANT_SIZES, WCAG_AA_CONTRAST

MESSAGES = [
    "A",
    "Stay cool all summer",
    "Fresh " * 15,
    "x" * 120,
    (
        "Limited edition flavours for the whole family, "
        "available in stores and online from June, while stocks last. Terms apply. "
    )
    * 2,
]
MESSAGES = [m.strip()[:200] for m in MESSAGES] + ["W" * 200]


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gray_source(size=(1024, 1024), fmt="PNG") -> bytes:
    return encode(Image.new("RGB", size, (128, 128, 128)), fmt)


def test_cover_crop_never_stretches():
    for source in [(1024, 1024), (4000, 3000), (600, 2000)]:
        for size in CONTRACT_VARIANT_SIZES.values():
            left, top, right, bottom = cover_crop(source, size)
            assert (right - left) / (bottom - top) == pytest.approx(size[0] / size[1], rel=1e-9)
            assert left >= 0 and top >= 0 and right <= source[0] + 1e-9 and bottom <= source[1] + 1e-9
            assert left == pytest.approx(source[0] - right) and top == pytest.approx(source[1] - bottom)


def test_wrap_breaks_words_and_overlong_words():
    lines = wrap("aaaa bbbb " + "c" * 25, 10, len)
    assert lines == ["aaaa bbbb", "cccccccccc", "cccccccccc", "ccccc"]
    assert all(len(line) <= 10 for line in lines)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: f"{len(m)}chars")
@pytest.mark.parametrize("name", list(CONTRACT_VARIANT_SIZES))
def test_message_fits_inside_its_region_in_every_placement(name, message):
    size = CONTRACT_VARIANT_SIZES[name]
    margin = round(min(size) * 0.05)
    for placement, (region, _room) in placements(size).items():
        layout = text.layout(message, region, size, placement)
        assert region.inside(inner_box(size)) and inner_box(size).left == margin
        assert layout.band.inside(region), placement
        assert layout.text.inside(layout.band)
        assert all(text.measure(line, layout.font_size) <= layout.text.width for line in layout.lines)
        assert len(layout.lines) * layout.line_height <= layout.text.height
        assert " ".join(layout.lines).replace(" ", "") == message.replace(" ", ""), "nothing is cut off"
        assert layout.font_size >= 8


@pytest.mark.parametrize(
    "brand",
    [
        None,
        [],
        ["#0A84FF", "#FFFFFF"],
        ["#FFFF00"],
        ["#777777"],
        ["#FFFFFF"],
        ["#000000", "#111111"],
        ["#E30613", "#FFD700"],
    ],
)
def test_text_and_band_keep_wcag_contrast_whatever_the_brand(brand):
    colors = palette(brand)
    assert contrast(colors.band, colors.text) >= WCAG_AA_CONTRAST


def test_brand_colours_are_used_when_they_are_legible():
    colors = palette(["#E30613", "#FFFFFF"])
    assert colors.band == (0xE3, 0x06, 0x13) and colors.text == (255, 255, 255)


def test_five_variants_with_exact_sizes_from_png_and_large_jpeg():
    for source in (gray_source(), gray_source((4000, 3000), "JPEG")):
        variants = render_all(source, "Stay cool all summer", ["#0A84FF", "#FFFFFF"])
        assert [(v.name, v.width, v.height) for v in variants] == [(n, *s) for n, s in CONTRACT_VARIANT_SIZES.items()]
        for variant in variants:
            image = Image.open(io.BytesIO(variant.jpeg))
            assert image.format == "JPEG" and image.size == (variant.width, variant.height)


def test_a_full_bleed_picture_gets_a_split_layout_and_says_so():
    """No product to frame: the photo fills a panel of its own (cropped centred, never stretched), the message goes
    on a solid panel in the brand's colour beside it (wide sizes) or below it, nothing over the picture."""
    brand = ["#E30613", "#FFFFFF"]
    for variant in render_all(gray_source((1600, 900)), "Big summer sale on every flavour", brand):
        wide = variant.width > variant.height * 1.3
        assert variant.framing.placement == ("beside-right" if wide else "below")
        assert variant.check.needs_review and "no product found" in variant.check.reasons[0]
        assert "split layout" in variant.check.reasons[0] and variant.check.contrast >= WCAG_AA_CONTRAST
        image = Image.open(io.BytesIO(variant.jpeg)).convert("RGB")
        window = variant.framing.window
        assert window is not None and variant.layout.band.overlap(window) == 0  # no text over the photo
        photo = (window.left + 8, window.top + 8)
        assert all(abs(c - 128) <= 8 for c in image.getpixel(photo)), variant.name  # the picture, untouched
        band = variant.layout.band
        # The panel in the brand's colour around the text (12 px off the block: JPEG blurs its edge).
        panel = (min(variant.width - 3, band.right + 12), min(variant.height - 3, band.bottom + 12))
        assert all(abs(a - b) <= 16 for a, b in zip(image.getpixel(panel), palette(brand).band, strict=True)), (
            variant.name
        )


def test_a_scrim_is_laid_only_where_the_picture_cannot_carry_the_text():
    # Stripes of black and white under the text: no colour has 4.5:1 against both, so a scrim in the
    # palette's band colour goes behind the text block, and only there.
    stripes = Image.new("RGB", (1600, 900), (255, 255, 255))
    draw = ImageDraw.Draw(stripes)
    for x in range(0, 1600, 40):
        draw.rectangle((x, 0, x + 19, 899), fill=(0, 0, 0))
    ImageDraw.Draw(stripes).ellipse((700, 350, 900, 550), fill=(200, 30, 40))  # a product, framed as one
    brand = ["#E30613", "#FFFFFF"]
    for variant in render_all(encode(stripes, "PNG"), "Big summer sale", brand):
        image = Image.open(io.BytesIO(variant.jpeg)).convert("RGB")
        band = variant.layout.band
        for x, y in [(band.left + 8, band.bottom - 8), (band.right - 8, band.top + 8)]:
            inside = image.getpixel((x, y))
            assert all(abs(a - b) <= 16 for a, b in zip(inside, palette(brand).band, strict=True)), variant.name
        assert variant.check.contrast >= WCAG_AA_CONTRAST
        # The scrim is as wide as the text needs, not the frame.
        assert band.width < variant.width * 0.9, variant.name


def test_a_source_of_another_aspect_is_not_stretched():
    image = Image.new("RGB", (2000, 1000), (255, 255, 255))
    ImageDraw.Draw(image).ellipse((750, 250, 1250, 750), fill=(220, 0, 0))  # a red circle in the centre
    for variant in render_all(encode(image, "PNG"), "x"):
        pixels = numpy.asarray(Image.open(io.BytesIO(variant.jpeg)).convert("RGB"), numpy.int16)
        red = numpy.argwhere((pixels[..., 0] > 150) & (pixels[..., 1] < 80))
        (top, left), (bottom, right) = red.min(axis=0), red.max(axis=0)
        assert abs((right - left) - (bottom - top)) <= 4, variant.name  # the circle stays round


def test_decompression_bomb_is_refused():
    bomb = encode(Image.new("1", (12000, 12000)), "PNG")  # 144 MP in a few hundred kB
    assert len(bomb) < 1_000_000
    with pytest.raises(SourceImageError) as error:
        render_all(bomb, "x")
    assert error.value.code == "SourceTooLarge"
    assert str(error.value).startswith("a PNG file of 144,000,000 pixels (144.0 MP); the limit is 64 MP.")


@pytest.mark.parametrize(
    "data", [b"not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, gray_source((800, 800), "JPEG")[:3000]]
)
def test_corrupt_sources_are_refused_with_a_clear_error(data):
    with pytest.raises(SourceImageError) as error:
        render_all(data, "x")
    assert error.value.code == "SourceUnreadable"
    assert "BytesIO" not in str(error.value) and (
        "PNG, JPEG or WebP" in str(error.value) or "cut short" in str(error.value)
    )


def test_transparent_and_palette_sources_render_on_white():
    rgba = Image.new("RGBA", (500, 500), (0, 0, 0, 0))
    variants = render_all(encode(rgba, "PNG"), "x")
    corner = Image.open(io.BytesIO(variants[0].jpeg)).convert("RGB").getpixel((2, 2))
    assert all(c >= 245 for c in corner)
    assert len(render_all(encode(Image.new("P", (300, 300)), "PNG"), "x")) == 5
