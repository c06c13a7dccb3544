"""Generative expand's pure parts: the outpaint request as Stability's Outpaint page documents it, the frames it
cannot take, and the product kept in place."""

import base64
import io

import numpy
import pytest
from PIL import Image, ImageDraw

from handlers.shared.image_models import image_model
from handlers.variants.expand import OutpaintUnfit, merge, outpainting
from handlers.variants.layout import VARIANT_SIZES, Box
from handlers.variants.render import Expanded, prepare
from tests.documented import BEDROCK_PAGES

OUTPAINT = image_model("us.stability.stable-outpaint-v1:0")
PAGE = BEDROCK_PAGES["stability.stable-outpaint-v1:0"]


def kept_image(body) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(body["image"])))


@pytest.mark.parametrize("size", list(VARIANT_SIZES.values()))
def test_each_variant_frame_asks_for_what_the_source_does_not_cover_within_the_documented_limits(size):
    """A 3:4 portrait source fitted whole into every size: the request extends the covered part to the frame."""
    width, height = size
    scale = min(width / 3, height / 4)
    fitted = (round(3 * scale), round(4 * scale))
    left, top = (width - fitted[0]) // 2, (height - fitted[1]) // 2
    covered = Box(left, top, left + fitted[0], top + fitted[1])
    request = outpainting(Image.new("RGB", size, (10, 20, 30)), covered, OUTPAINT)
    body = request.body
    assert PAGE["required"] <= set(body) <= PAGE["fields"], PAGE["page"]
    kept = kept_image(body)
    assert kept.size == fitted and min(kept.size) >= PAGE["min_side"]
    assert kept.width * kept.height <= PAGE["max_pixels"]
    sides = (body["left"], body["right"], body["up"], body["down"])
    assert all(0 <= n <= PAGE["max_extension"] for n in sides) and any(sides)
    assert (kept.width + body["left"] + body["right"], kept.height + body["up"] + body["down"]) == size
    assert PAGE["creativity"][0] <= body["creativity"] <= PAGE["creativity"][1]
    assert PAGE["seed"][0] < body["seed"] <= PAGE["seed"][1]
    assert body["output_format"] in PAGE["output_formats"]
    assert "negative_prompt" not in body  # Outpaint takes none


def test_a_tall_product_in_a_wide_frame_is_extended_left_and_right_only():
    canvas = Image.new("RGB", (1200, 630), (10, 20, 30))
    body = outpainting(canvas, Box(300, 0, 900, 630), OUTPAINT).body
    assert (body["left"], body["right"], body["up"], body["down"]) == (300, 300, 0, 0)
    assert kept_image(body).size == (600, 630)


@pytest.mark.parametrize(
    ("covered", "why"),
    [
        (Box(0, 500, 1080, 580), "aspect 13.5:1"),  # a panorama strip: beyond 2.5:1
        (Box(500, 500, 540, 1000), "at least 64 px"),  # 40 px wide
        (Box(0, 0, 1080, 1080), "nothing to paint"),  # "at least one outpaint direction ... non-zero"
    ],
)
def test_a_frame_outside_the_models_limits_is_refused_before_any_call(covered, why):
    with pytest.raises(OutpaintUnfit, match=why):
        outpainting(Image.new("RGB", (1080, 1080)), covered, OUTPAINT)


def test_the_pixel_and_extension_limits_are_the_models_own():
    """A model with smaller limits than Stability's (a later one, say): the same checks, its figures."""
    from dataclasses import replace

    strict = replace(OUTPAINT, limits=OUTPAINT.limits | {"max_pixels": 100_000, "max_extension": 200})
    canvas = Image.new("RGB", (1200, 630))
    with pytest.raises(OutpaintUnfit, match="above the outpaint model's 100,000 pixels"):
        outpainting(canvas, Box(300, 0, 900, 630), strict)  # 600 x 630 kept
    with pytest.raises(OutpaintUnfit, match="an extension of 315 px is above the model's 200"):  # 315 px above
        outpainting(canvas, Box(300, 315, 900, 630), replace(strict, limits=strict.limits | {"max_pixels": 10**7}))


def test_the_merge_keeps_the_frames_own_pixels_where_the_source_covers_it():
    canvas = Image.new("RGB", (1200, 630), (10, 20, 30))
    covered = Box(300, 0, 900, 630)
    answer = io.BytesIO()
    Image.new("RGB", (1200, 630), (120, 0, 160)).save(answer, "PNG")
    merged = merge(canvas, answer.getvalue(), covered)
    assert merged.getpixel((600, 300)) == (10, 20, 30) and merged.getpixel((100, 300)) == (120, 0, 160)
    # An answer of another size (a service that caps its output) is scaled to the frame.
    small = io.BytesIO()
    Image.new("RGB", (600, 315), (120, 0, 160)).save(small, "PNG")
    assert merge(canvas, small.getvalue(), covered).size == (1200, 630)


def shot() -> bytes:
    image = Image.new("RGB", (600, 900), (230, 230, 230))
    ImageDraw.Draw(image).ellipse((180, 150, 420, 750), fill=(200, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def purple_model(canvas: Image.Image, covered: Box) -> Expanded:
    """A stand-in for the model: paints the whole canvas purple, as an outpainting that ignored the kept part would."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 0, 160)).save(buffer, "PNG")
    return Expanded(merge(canvas, buffer.getvalue(), covered), "test-model", 0.06)


def test_the_expanded_canvas_keeps_the_product_pixels_where_the_framing_put_them():
    plain, expanded = prepare(shot()), prepare(shot(), expander=purple_model)
    assert set(expanded.expanded) == {n for n, f in plain.framings.items() if f.extension(plain.source_size) > 0}
    assert expanded.expanded, "the tall product needs the wide sizes extended"
    for name in expanded.expanded:
        framing = expanded.framings[name]
        assert framing == plain.framings[name]
        product = framing.product
        assert product is not None
        box = (product.left, product.top, product.right, product.bottom)
        before = numpy.asarray(plain.canvases[name].crop(box))
        after = numpy.asarray(expanded.canvases[name].crop(box))
        assert numpy.array_equal(before, after), name
        covered = framing.covered(plain.source_size)
        outside = (0, 0) if covered.left > 0 or covered.top > 0 else (framing.size[0] - 1, framing.size[1] - 1)
        assert expanded.canvases[name].getpixel(outside) == (120, 0, 160)
