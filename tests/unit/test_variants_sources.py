"""Every source as the camera meant it: upright, and with the tones of the same picture saved as 8-bit RGB."""

import io
import struct
import zlib

import numpy
import pytest
from PIL import Image, ImageDraw

from handlers.variants.render import render_all
from handlers.variants.sources import SourceImageError, decode


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def reference() -> Image.Image:
    """A picture whose orientation shows: dark top-left quadrant, mid-grey gradient, a light block low right."""
    image = Image.linear_gradient("L").resize((240, 160)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 59, 39), fill=(20, 30, 40))
    draw.rectangle((170, 110, 229, 149), fill=(230, 220, 200))
    return image


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(numpy.abs(numpy.asarray(a, numpy.int16) - numpy.asarray(b, numpy.int16)).mean())


def png_rgb16(pixels: numpy.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG written by hand (Pillow cannot write one)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\0" + pixels[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_exif_orientation_is_applied():
    upright = reference()
    # Orientation 6: the camera stored the picture turned 90 degrees; viewers rotate it back clockwise.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    source = decode(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert source.image.size == (240, 160)
    assert source.full_size == (240, 160)
    assert mean_difference(source.image, upright) < 3


def test_16_bit_grayscale_keeps_its_tones():
    upright = reference().convert("L")
    sixteen = Image.fromarray(numpy.asarray(upright, numpy.uint16) * 257)  # the same tones on 0-65535
    assert sixteen.mode == "I;16"
    source = decode(encode(sixteen, "PNG"))
    assert mean_difference(source.image, upright.convert("RGB")) < 1  # not all white


def test_16_bit_rgb_keeps_its_tones():
    upright = reference()
    source = decode(png_rgb16(numpy.asarray(upright, numpy.uint16) * 257))
    assert mean_difference(source.image, upright) < 1


def test_cmyk_keeps_its_tones():
    upright = reference()
    source = decode(encode(upright.convert("CMYK"), "JPEG", quality=95))
    assert mean_difference(source.image, upright) < 4


def test_palette_with_transparency_keeps_colours_and_alpha():
    upright = reference()
    palette = upright.quantize(64)
    palette.info["transparency"] = palette.getpixel((0, 0))  # the dark block becomes transparent
    source = decode(encode(palette, "PNG", transparency=palette.getpixel((0, 0))))
    assert source.alpha is not None and source.alpha.getpixel((5, 5)) == 0 and source.alpha.getpixel((120, 80)) == 255
    assert source.image.getpixel((5, 5)) == (255, 255, 255), "transparency is laid on white"
    assert mean_difference(source.image.crop((60, 40, 240, 160)), upright.crop((60, 40, 240, 160))) < 4


@pytest.mark.parametrize(
    "mode, scale",
    [("LA", 1), ("I", 257), ("I", 1), ("F", 1 / 255), ("F", 1.0)],
    ids=["LA", "I-16-bit-range", "I-8-bit-range", "F-0-to-1", "F-0-to-255"],
)
def test_other_modes_keep_their_tones(mode, scale):
    gray = reference().convert("L")
    if mode == "LA":
        image = Image.merge("LA", (gray, Image.new("L", gray.size, 255)))
        data = encode(image, "PNG")
    else:
        values = numpy.asarray(gray, numpy.float64) * scale
        image = Image.fromarray(values.astype(numpy.int32 if mode == "I" else numpy.float32), mode)
        data = encode(image, "TIFF")
    source = decode(data)
    assert mean_difference(source.image, gray.convert("RGB")) < 1, mode


def test_an_animated_image_renders_its_first_frame_and_counts_the_frames():
    frames = [Image.new("RGB", (200, 200), colour) for colour in ((200, 30, 30), (30, 30, 200), (30, 200, 30))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    source = decode(data)
    assert source.frames == 3
    red, green, blue = source.image.getpixel((100, 100))
    assert red > 150 and blue < 80


def test_a_small_source_is_rendered_and_flagged_with_its_upscale_factor():
    image = Image.new("RGB", (10, 10), (240, 240, 240))
    ImageDraw.Draw(image).rectangle((3, 2, 6, 7), fill=(200, 30, 30))
    variants = render_all(encode(image, "PNG"), "Stay cool")
    assert len(variants) == 5
    for variant in variants:
        assert variant.check.upscale > 20  # a 10 px source in a 1080 px frame
        assert variant.check.needs_review
        assert any("enlarged" in reason for reason in variant.check.reasons)


def test_an_unsupported_format_is_refused_by_name():
    with pytest.raises(SourceImageError) as error:
        decode(encode(reference(), "BMP"))
    assert error.value.code == "SourceUnreadable" and "BMP" in str(error.value)
