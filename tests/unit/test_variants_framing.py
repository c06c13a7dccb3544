"""The whole product in every size, with a margin, and the message never over it.

Product shots are built here: a product of one saturated colour that appears nowhere else (not in the
background, the brand colours nor black/white text), so the rendered JPEG alone shows where the product
went. In every size: the product's pixels all lie inside the frame less its margin, none was cut (its
extent keeps the source's aspect ratio), and every pixel inside its outline is still the product's colour,
so no message or scrim pixel lies over it.
"""

import io

import numpy
import pytest
from PIL import Image, ImageDraw

from handlers.variants.detect import detect
from handlers.variants.render import render_all
from tests.documented import CONTRACT_VARIANT_SIZES, WCAG_AA_CONTRAST

PRODUCT = (200, 30, 160)  # magenta: far from the backgrounds, the brand colours, white and black
BRAND = ["#0A84FF", "#FFFFFF"]
MESSAGE = "Stay cool all summer with three new sparkling flavours"


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def gradient(size, top=(235, 240, 245), bottom=(170, 190, 205)) -> Image.Image:
    column = Image.linear_gradient("L").resize((1, size[1])).resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), column)


def shot(kind: str, size, box) -> bytes:
    """A product (a rectangle with a rounded top, like a bottle) at `box` on a plain gradient, a flat
    studio colour, or transparent (a cut-out)."""
    if kind == "cutout":
        image = Image.new("RGBA", size, (0, 0, 0, 0))
    elif kind == "flat":
        image = Image.new("RGB", size, (244, 240, 232))
    else:
        image = gradient(size)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = box
    radius = min(right - left, bottom - top) // 4
    draw.rounded_rectangle(box, radius=radius, fill=PRODUCT + ((255,) if kind == "cutout" else ()))
    return encode(image, "JPEG" if kind == "jpeg" else "PNG")


# (source size, product box): tall, wide, off-centre, touching one edge, small in a large frame.
PRODUCTS = {
    "tall-centred": ((1024, 1024), (400, 150, 620, 900)),
    "wide": ((1024, 1024), (120, 400, 900, 620)),
    "off-centre": ((1600, 1000), (1150, 500, 1450, 950)),
    "touching-bottom": ((1024, 1024), (380, 300, 640, 1024)),
    "touching-left": ((1200, 800), (0, 200, 420, 700)),
    # Along most of one edge, then half of it: the border is mostly product, or half of that side is.
    "touching-right-along": ((1000, 1000), (650, 70, 1000, 930)),
    "touching-right-half": ((1000, 1000), (650, 250, 1000, 750)),
    "small": ((2000, 1500), (900, 700, 1050, 900)),
}


def product_pixels(jpeg: bytes) -> numpy.ndarray:
    pixels = numpy.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), numpy.int16)
    distance = numpy.abs(pixels - numpy.array(PRODUCT)).max(axis=-1)
    return distance < 40


@pytest.mark.parametrize("kind", ["gradient", "flat", "cutout", "jpeg"])
@pytest.mark.parametrize("product", list(PRODUCTS))
def test_the_whole_product_is_in_every_size_and_no_text_covers_it(kind, product):
    source_size, box = PRODUCTS[product]
    aspect = (box[2] - box[0]) / (box[3] - box[1])
    for variant in render_all(shot(kind, source_size, box), MESSAGE, BRAND):
        width, height = variant.width, variant.height
        margin = round(min(width, height) * 0.05)
        mask = product_pixels(variant.jpeg)
        rows, columns = numpy.flatnonzero(mask.any(axis=1)), numpy.flatnonzero(mask.any(axis=0))
        top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
        where = f"{variant.name} {(left, top, right, bottom)}"
        # Inside the frame with its margin (JPEG may smear the edge by a pixel).
        assert left >= margin - 1 and top >= margin - 1, where
        assert right <= width - margin + 1 and bottom <= height - margin + 1, where
        # Not cut and not stretched: the extent keeps the product's aspect ratio.
        assert (right - left) / (bottom - top) == pytest.approx(aspect, rel=0.03), where
        # Nothing drawn over it: inside its outline (less the rounded corners and a JPEG pixel) all product.
        inset = max(3, round(min(right - left, bottom - top) / 4) + 2)
        core = mask[top + inset : bottom - inset, left + 3 : right - 3]
        assert core.mean() > 0.995, f"{where}: {1 - core.mean():.2%} of the product is covered"
        # ...and the message is there, beside or above it, and legible.
        check = variant.check
        assert check.overlap_px == 0 and check.product_visible, where
        assert check.contrast >= WCAG_AA_CONTRAST, (where, check.contrast)
        # A small product is enlarged to stay visible: that, and only that, asks for a look.
        assert [r for r in check.reasons if "enlarged" not in r] == [], (where, check.reasons)
        assert (check.upscale > 2) == check.needs_review, (where, check.upscale, check.reasons)


def test_the_message_goes_beside_the_product_in_the_wide_sizes_and_above_or_below_in_the_others():
    source_size, box = PRODUCTS["tall-centred"]
    for variant in render_all(shot("gradient", source_size, box), MESSAGE, BRAND):
        band, product = variant.layout.band, variant.framing.product
        if variant.width / variant.height >= 1.3:
            assert variant.framing.placement.startswith("beside")
            assert band.left >= product.right or band.right <= product.left, variant.name
        else:
            assert variant.framing.placement in ("above", "below")
            assert band.bottom <= product.top or band.top >= product.bottom, variant.name


def test_the_plain_background_is_continued_in_its_own_colours_where_the_canvas_is_extended():
    source_size, box = PRODUCTS["tall-centred"]
    variants = render_all(shot("gradient", source_size, box), MESSAGE, BRAND)
    wide = next(v for v in variants if v.name == "facebook-feed")
    assert wide.check.extended, "a tall product in a wide frame needs more canvas than the source has"
    pixels = numpy.asarray(Image.open(io.BytesIO(wide.jpeg)).convert("RGB"), numpy.int16)
    # The gradient runs top to bottom: left and right edges of each row match the source's background there.
    for y in (20, wide.height // 2, wide.height - 20):
        left, right = pixels[y, 2], pixels[y, wide.width - 3]
        assert numpy.abs(left - right).max() <= 6, y
    top, bottom = pixels[4, 4], pixels[wide.height - 5, 4]
    assert top.sum() > bottom.sum(), "lighter at the top, as in the source"
    assert numpy.abs(pixels - numpy.array(PRODUCT)).max(axis=-1).min() < 40, "the product is there"


def test_a_photo_background_is_extended_with_a_blur_of_itself():
    rng = numpy.random.default_rng(3)
    photo = Image.fromarray(rng.integers(60, 200, (800, 1200, 3), dtype=numpy.uint8)).resize((1200, 800))
    # A textured background: a coarse pattern the plain surface cannot follow, and a product in the middle.
    photo = Image.fromarray(rng.integers(40, 120, (8, 12, 3), dtype=numpy.uint8)).resize((1200, 800), Image.NEAREST)
    ImageDraw.Draw(photo).rounded_rectangle((500, 150, 700, 700), radius=40, fill=PRODUCT)
    detection = detect(photo, None)
    assert detection.method == "background" and detection.background == "photo"
    for variant in render_all(encode(photo), MESSAGE, BRAND):
        assert variant.check.product_visible and variant.check.overlap_px == 0, variant.name


def test_a_product_touching_the_edge_of_a_photo_is_not_continued_past_it():
    """The blurred extension continues the photo around the product, not the product: no ghost of it past the
    source's edge, which would read as the product cut off by the frame."""
    rng = numpy.random.default_rng(5)
    photo = Image.fromarray(rng.integers(150, 200, (8, 12, 3), dtype=numpy.uint8)).resize((1200, 800), Image.NEAREST)
    ImageDraw.Draw(photo).rectangle((850, 200, 1200, 600), fill=PRODUCT)  # flush with the right edge
    assert detect(photo, None).background == "photo"
    for variant in render_all(encode(photo), MESSAGE, BRAND):
        assert variant.check.extended and variant.check.product_visible, variant.name
        product = variant.framing.product
        mask = product_pixels(variant.jpeg)
        mask[max(0, product.top - 2) : product.bottom + 2, max(0, product.left - 2) : product.right + 2] = False
        assert mask.sum() == 0, f"{variant.name}: {mask.sum()} product-coloured pixels outside the product"


def test_detection_finds_the_product_box_in_source_pixels():
    source_size, box = PRODUCTS["off-centre"]
    image = Image.open(io.BytesIO(shot("gradient", source_size, box))).convert("RGB")
    found = detect(image, None).box
    # Contains the product, and not much more (the thumbnail's pixel is the tolerance).
    assert found.left <= box[0] and found.top <= box[1] and found.right >= box[2] and found.bottom >= box[3]
    assert found.left >= box[0] - 25 and found.right <= box[2] + 25 and found.bottom <= box[3] + 25


def test_every_size_is_exact():
    source_size, box = PRODUCTS["wide"]
    variants = render_all(shot("cutout", source_size, box), MESSAGE, BRAND)
    assert [(v.name, v.width, v.height) for v in variants] == [(n, *s) for n, s in CONTRACT_VARIANT_SIZES.items()]
