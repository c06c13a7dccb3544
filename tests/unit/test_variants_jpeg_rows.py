"""Variants JPEG by rows: a further locale re-encodes only the rows its text and logo touch, and its variants are
the very bytes a render of that locale alone gives."""

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from handlers.variants import jpeg_rows
from handlers.variants.render import prepare, render_locale

REPOSITORY = Path(__file__).parents[2]
SAMPLE_PRODUCT = REPOSITORY / "samples" / "existing-assets" / "acme" / "citrus" / "product.png"
BRAND = ["#0A84FF", "#FFFFFF"]
# Several scripts and lengths: each locale lays its text out differently (lines, size, marks above and below).
MESSAGES = {
    "en-US": "Stay cool all summer with three new sparkling flavours",
    "ja-JP": "涼しい夏を、三つの新しいスパークリングフレーバーで",
    "ar-SA": "انتعش طوال الصيف مع ثلاث نكهات فوارة جديدة",
    "th-TH": "สดชื่นตลอดฤดูร้อนกับสามรสชาติใหม่",
    "de-DE": "Bleib cool",
    # Thai vowel and tone marks stacked nine deep: ink far above and below the line boxes.
    "th-x-stacked": "ชื่ื่ื่ื่ื่ื่ื่ื่ื่ สด",
}


def picture(size: tuple[int, int]) -> Image.Image:
    """Detail everywhere (gradients, edges, grain), so every block of every row has something to encode."""
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 37):
        draw.line((x, 0, size[0] - x, size[1]), fill=(x % 255, 90, 200), width=3)
    return Image.blend(image, Image.effect_noise(size, 30).convert("RGB"), 0.2)


@pytest.mark.parametrize("size", [(1080, 1080), (1200, 627), (333, 250)])
@pytest.mark.parametrize("where", ["top", "middle", "bottom"])
def test_rows_spliced_into_a_canvas_give_the_bytes_of_a_whole_encode(size, where):
    canvas = picture(size)
    drawn = canvas.copy()
    # A block of text-like marks: at the very top, in the middle, or down to the last (partial) row of blocks.
    top = {"top": 0, "middle": size[1] // 3, "bottom": size[1] - 60}[where]
    ImageDraw.Draw(drawn).rectangle((20, top, size[0] - 20, top + 59), fill=(250, 250, 250), outline=(0, 0, 0))
    ((first, last),) = jpeg_rows.row_spans([(20, top, size[0] - 20, top + 60)], size[1])
    assert first % 16 == 0 and (last % 16 == 0 or last == size[1]) and first <= top and last >= min(size[1], top + 60)
    strip = jpeg_rows.Rows.of(jpeg_rows.encode(drawn.crop((0, first, size[0], last))))
    spliced = jpeg_rows.splice(jpeg_rows.Rows.of(jpeg_rows.encode(canvas)), [(first, strip)])
    assert spliced == jpeg_rows.encode(drawn)
    assert Image.open(io.BytesIO(spliced)).size == size


def test_rows_encoded_with_other_tables_are_not_spliced():
    canvas = picture((400, 320))
    other_quality = io.BytesIO()
    canvas.crop((0, 32, 400, 64)).save(other_quality, "JPEG", quality=50, subsampling="4:2:0", restart_marker_rows=1)
    canvas_rows = jpeg_rows.Rows.of(jpeg_rows.encode(canvas))
    assert jpeg_rows.splice(canvas_rows, [(32, jpeg_rows.Rows.of(other_quality.getvalue()))]) is None
    # ...nor rows past the canvas's end, nor from inside a row of blocks, nor of another width.
    strip = jpeg_rows.Rows.of(jpeg_rows.encode(canvas.crop((0, 288, 400, 320))))
    assert jpeg_rows.splice(canvas_rows, [(304, strip)]) is None
    assert jpeg_rows.splice(canvas_rows, [(280, strip)]) is None
    narrower = jpeg_rows.Rows.of(jpeg_rows.encode(canvas.crop((0, 288, 395, 320))))  # as many blocks across
    assert jpeg_rows.splice(canvas_rows, [(288, narrower)]) is None
    assert jpeg_rows.splice(canvas_rows, [(288, strip)]) == jpeg_rows.encode(canvas)


def test_grayscale_rows_of_eight_pixels_are_spliced_exactly():
    # One component, no subsampling: rows of blocks are 8 pixels, not 16.
    canvas = picture((300, 250)).convert("L")
    drawn = canvas.copy()
    ImageDraw.Draw(drawn).rectangle((10, 100, 200, 140), fill=255)
    ((top, bottom),) = jpeg_rows.row_spans([(10, 100, 201, 141)], 250)
    strip = jpeg_rows.Rows.of(jpeg_rows.encode(drawn.crop((0, top, 300, bottom))))
    canvas_rows = jpeg_rows.Rows.of(jpeg_rows.encode(canvas))
    assert len(canvas_rows.rows) == 32  # 250 / 8, the last partial
    assert jpeg_rows.splice(canvas_rows, [(top, strip)]) == jpeg_rows.encode(drawn)


def test_rows_of_several_boxes_are_spliced_apart_and_merged_where_they_meet():
    # A text block at the top and a logo at the bottom: two strips, not every row between them.
    assert jpeg_rows.row_spans([(0, 1700, 300, 1850), (60, 50, 1000, 420)], 1920) == [(48, 432), (1696, 1856)]
    assert jpeg_rows.row_spans([(0, 100, 10, 200), (0, 190, 10, 300), (0, 310, 10, 320)], 400) == [(96, 320)]
    assert jpeg_rows.row_spans([(0, 32, 10, 32), (0, 0, 0, 0)], 400) == []  # empty boxes touch no row
    size = (600, 500)
    canvas = picture(size)  # grain differs from call to call: one picture, copied
    drawn = canvas.copy()
    draw = ImageDraw.Draw(drawn)
    draw.rectangle((10, 10, 300, 70), fill=(0, 0, 0))
    draw.ellipse((400, 420, 590, 499), fill=(255, 0, 0))
    boxes = [(10, 10, 301, 71), (400, 420, 591, 500)]
    strips = [
        (top, jpeg_rows.Rows.of(jpeg_rows.encode(drawn.crop((0, top, 600, bottom)))))
        for top, bottom in jpeg_rows.row_spans(boxes, 500)
    ]
    assert len(strips) == 2
    assert jpeg_rows.splice(jpeg_rows.Rows.of(jpeg_rows.encode(canvas)), strips) == jpeg_rows.encode(drawn)


def test_a_variant_has_a_restart_marker_after_every_row_of_blocks():
    # 250 pixel rows at 4:2:0 are 16 rows of blocks (the last one partial): 16 separately coded rows.
    rows = jpeg_rows.Rows.of(jpeg_rows.encode(picture((333, 250))))
    assert len(rows.rows) == 16 and all(rows.rows)


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_every_locale_of_a_product_is_what_rendering_it_alone_gives(monkeypatch, order):
    # Backward, the stacked marks come first: an earlier locale's ink left outside the rows a later one re-encodes
    # would show in the later one's variants; forward, they come last: ink clipped to its rows would be missing.
    from handlers.variants import logo

    data = SAMPLE_PRODUCT.read_bytes()
    brand_logo = logo.load(encode_png(Image.new("RGBA", (300, 120), (200, 30, 30, 255))))
    shared = prepare(data)
    locales = list(MESSAGES) if order == "forward" else list(reversed(MESSAGES))
    encode, encoded_rows = jpeg_rows.encode, []
    monkeypatch.setattr(jpeg_rows, "encode", lambda image: encoded_rows.append(image.height) or encode(image))
    together = {}
    for locale in locales:
        encoded_rows.clear()
        together[locale] = render_locale(
            shared, MESSAGES[locale], BRAND, locale, brand_logo, last=locale == locales[-1]
        )
        if locale != locales[0]:  # only the rows either locale draws on: under the five frames' 4,932 rows
            assert sum(encoded_rows) < 0.8 * 4932, (locale, encoded_rows)
    assert any(variant.logo for variant in together["en-US"])
    monkeypatch.setattr(jpeg_rows, "encode", encode)
    for locale in locales:
        alone = render_locale(prepare(data), MESSAGES[locale], BRAND, locale, brand_logo, last=True)
        for a, b in zip(together[locale], alone, strict=True):
            assert a.name == b.name and a.layout == b.layout
            assert a.jpeg == b.jpeg, (locale, a.name)


def test_a_locale_whose_rows_cannot_be_spliced_is_encoded_whole(monkeypatch):
    data = SAMPLE_PRODUCT.read_bytes()
    shared = prepare(data)
    render_locale(shared, MESSAGES["en-US"], BRAND, "en-US")
    monkeypatch.setattr(jpeg_rows, "splice", lambda image, strips: None)
    later = render_locale(shared, MESSAGES["ja-JP"], BRAND, "ja-JP", last=True)
    alone = render_locale(prepare(data), MESSAGES["ja-JP"], BRAND, "ja-JP", last=True)
    assert [v.jpeg for v in later] == [v.jpeg for v in alone]


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
