"""Product shots drawn in code, shared by the tests that need the same picture."""

import io

from PIL import Image, ImageDraw


def tall_can() -> bytes:
    """A tall can on a plain studio background (800 x 800 PNG): the wide sizes need the canvas extended."""
    image = Image.new("RGB", (800, 800), (235, 235, 235))
    ImageDraw.Draw(image).rectangle((330, 120, 470, 680), fill=(20, 90, 200))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
