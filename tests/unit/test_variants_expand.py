"""Generative expand's pure parts: sizes the models accept, the mask, and the product kept in place."""

import base64
import io

import numpy
import pytest
from PIL import Image, ImageDraw

from handlers.variants.expand import merge, model_size, outpainting
from handlers.variants.layout import VARIANT_SIZES, Box
from handlers.variants.render import Expanded, prepare


@pytest.mark.parametrize("size", list(VARIANT_SIZES.values()) + [(5000, 300), (200, 200)])
@pytest.mark.parametrize("model_id", ["amazon.nova-canvas-v1:0", "amazon.titan-image-generator-v2:0"])
def test_model_sizes_keep_the_frames_shape_within_the_models_limits(size, model_id):
    width, height = model_size(size, model_id)
    longest = 4096 if "nova" in model_id else 1408
    assert width % 16 == 0 and height % 16 == 0
    assert min(width, height) >= 320 and max(width, height) <= longest and width * height <= 4_194_304
    if max(size) / min(size) < 4:  # shapes the limits do not force: the aspect kept within rounding
        assert abs(width / height - size[0] / size[1]) < 0.05 * size[0] / size[1]


def test_nova_gets_the_story_at_full_size_rounded_up_to_sixteens():
    assert model_size((1080, 1920), "amazon.nova-canvas-v1:0") == (1088, 1920)


def test_the_mask_keeps_the_covered_source_and_paints_the_rest():
    canvas = Image.new("RGB", (1200, 630), (10, 20, 30))
    request = outpainting(canvas, Box(300, 0, 900, 630), "amazon.nova-canvas-v1:0")
    assert request.model_size == (1200, 640)
    params = request.body["outPaintingParams"]
    mask = numpy.asarray(Image.open(io.BytesIO(base64.b64decode(params["maskImage"]))).convert("L"))
    assert mask[320, 600] == 0 and mask[320, 100] == 255 and mask[320, 1100] == 255
    assert set(numpy.unique(mask)) == {0, 255}


def shot() -> bytes:
    image = Image.new("RGB", (600, 900), (230, 230, 230))
    ImageDraw.Draw(image).ellipse((180, 150, 420, 750), fill=(200, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def purple_model(canvas: Image.Image, covered: Box) -> Expanded:
    """A stand-in for the model: paints the whole canvas purple, as an outpainting that ignored the mask would."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 0, 160)).save(buffer, "PNG")
    return Expanded(merge(canvas, buffer.getvalue(), covered), "test-model", 0.04)


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
