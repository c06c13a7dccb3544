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
    spliced = jpeg_rows.splice(jpeg_rows.Rows.of(jpeg_rows.encode(canvas)), [(first // 16, strip)])
    assert spliced == jpeg_rows.encode(drawn)
    assert Image.open(io.BytesIO(spliced)).size == size


def test_rows_encoded_with_other_tables_are_not_spliced():
    canvas = picture((400, 320))
    other_quality = io.BytesIO()
    canvas.crop((0, 32, 400, 64)).save(other_quality, "JPEG", quality=50, subsampling="4:2:0", restart_marker_rows=1)
    canvas_rows = jpeg_rows.Rows.of(jpeg_rows.encode(canvas))
    assert jpeg_rows.splice(canvas_rows, [(2, jpeg_rows.Rows.of(other_quality.getvalue()))]) is None
    # ...nor rows past the canvas's end.
    strip = jpeg_rows.Rows.of(jpeg_rows.encode(canvas.crop((0, 288, 400, 320))))
    assert jpeg_rows.splice(canvas_rows, [(19, strip)]) is None


def test_rows_of_several_boxes_are_spliced_apart_and_merged_where_they_meet():
    # A text block at the top and a logo at the bottom: two strips, not every row between them.
    assert jpeg_rows.row_spans([(0, 1700, 300, 1850), (60, 50, 1000, 420)], 1920) == [(48, 432), (1696, 1856)]
    assert jpeg_rows.row_spans([(0, 100, 10, 200), (0, 190, 10, 300), (0, 310, 10, 320)], 400) == [(96, 320)]
    size = (600, 500)
    canvas = picture(size)  # grain differs from call to call: one picture, copied
    drawn = canvas.copy()
    draw = ImageDraw.Draw(drawn)
    draw.rectangle((10, 10, 300, 70), fill=(0, 0, 0))
    draw.ellipse((400, 420, 590, 499), fill=(255, 0, 0))
    boxes = [(10, 10, 301, 71), (400, 420, 591, 500)]
    strips = [
        (top // 16, jpeg_rows.Rows.of(jpeg_rows.encode(drawn.crop((0, top, 600, bottom)))))
        for top, bottom in jpeg_rows.row_spans(boxes, 500)
    ]
    assert len(strips) == 2
    assert jpeg_rows.splice(jpeg_rows.Rows.of(jpeg_rows.encode(canvas)), strips) == jpeg_rows.encode(drawn)


def test_a_variant_has_a_restart_marker_after_every_row_of_blocks():
    # 250 pixel rows at 4:2:0 are 16 rows of blocks (the last one partial): 16 separately coded rows.
    rows = jpeg_rows.Rows.of(jpeg_rows.encode(picture((333, 250))))
    assert len(rows.rows) == 16 and all(rows.rows)


def test_every_locale_of_a_product_is_what_rendering_it_alone_gives(monkeypatch):
    from handlers.variants import logo

    data = SAMPLE_PRODUCT.read_bytes()
    mark = Image.new("RGBA", (300, 120), (200, 30, 30, 255))
    brand_logo = logo.load(encode_png(mark))
    shared = prepare(data)
    locales = list(MESSAGES)
    encode, encoded_rows = jpeg_rows.encode, []
    monkeypatch.setattr(jpeg_rows, "encode", lambda image: encoded_rows.append(image.height) or encode(image))
    together = {}
    for locale in locales:
        encoded_rows.clear()
        together[locale] = render_locale(
            shared, MESSAGES[locale], BRAND, locale, brand_logo, last=locale == locales[-1]
        )
        if locale != locales[0]:  # only the rows the text and logo touch: well under the five frames' 4,932 rows
            assert sum(encoded_rows) < 0.7 * 4932, (locale, encoded_rows)
    assert any(variant.logo for variant in together["en-US"])
    monkeypatch.setattr(jpeg_rows, "encode", encode)
    for locale in locales:
        alone = render_locale(prepare(data), MESSAGES[locale], BRAND, locale, brand_logo, last=True)
        for a, b in zip(together[locale], alone, strict=True):
            assert a.name == b.name and a.layout == b.layout
            assert a.jpeg == b.jpeg, (locale, a.name)


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
