"""Image errors in words: the format found, what the pipeline reads, the one limit that applies."""

import io
import re

import pytest
from PIL import Image

from handlers.generator.service import check_png
from handlers.variants.render import SourceImageError, decode


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


READS = "; the pipeline reads PNG, JPEG or WebP images. Save it as one and upload it again"


@pytest.mark.parametrize(
    "data,expected",
    [
        (encode(Image.new("RGB", (10, 10)), "BMP"), "a BMP file" + READS),
        # GIF and TIFF are read (first frame; 16-bit and float modes): tests/unit/test_variants_sources.py
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG file" + READS),
        (b"\0\0\0\x18ftypheic" + b"\0" * 40, "an HEIC file" + READS),
        (b"%PDF-1.7\n", "a PDF file" + READS),
        (b"", "an empty file (0 bytes)" + READS),
        (b"campaign: summer", "a text file" + READS),
        (bytes(range(256)), "256 bytes in no image format the pipeline knows" + READS),
        (encode(Image.new("RGB", (300, 300)), "PNG")[:200], "a PNG file that is damaged or cut short (200 bytes)"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, "a PNG file that is damaged or cut short (16 bytes)"),
    ],
)
def test_a_source_the_pipeline_cannot_read_says_what_it_is(data, expected):
    with pytest.raises(SourceImageError) as error:
        decode(data)
    assert error.value.code == "SourceUnreadable"
    assert str(error.value).startswith(expected)
    assert "BytesIO" not in str(error.value) and "0x" not in str(error.value)


@pytest.mark.parametrize("size", [(9000, 8000), (12000, 12000)])  # Pillow warns past 64 MP, refuses past 128 MP
def test_an_oversized_source_states_one_limit(size):
    with pytest.raises(SourceImageError) as error:
        decode(encode(Image.new("1", size), "PNG"))
    message = str(error.value)
    pixels = size[0] * size[1]
    assert message == f"a PNG file of {pixels:,} pixels ({pixels / 1e6:.1f} MP); the limit is 64 MP." + (
        " Scale it down and upload it again"
    )
    assert len(re.findall(r"limit", message)) == 1 and "128" not in message


def test_the_model_answering_something_else_than_an_image_is_said_in_words():
    with pytest.raises(ValueError) as error:
        check_png(b"<html><body>Service Unavailable</body></html>")
    assert str(error.value) == "the image model returned an HTML file, not a PNG image"
