"""Offline image backend (IMAGE_BACKEND=local): a plausible product-shot placeholder, drawn with Pillow.

Same interface as models.BedrockImages, so the local run exercises the real generator code path.
Never the default in a deployed stack (settings refuse `imageBackend: local` there).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from handlers.generator.models import ImageRequest

FONT_FILE = Path(__file__).resolve().parent.parent / "shared" / "fonts" / "DejaVuSans-Bold.ttf"


class PlaceholderImages:
    model_id = "local-placeholder"
    usd_per_image = 0.0

    def generate(self, request: ImageRequest, remaining_ms: Callable[[], int] | None = None) -> bytes:
        """A placeholder shot; `remaining_ms` is ignored (drawing takes milliseconds, not minutes)."""
        rng = random.Random(request.seed)
        width, height = request.width, request.height
        top = tuple(rng.randint(150, 235) for _ in range(3))
        bottom = tuple(max(0, c - rng.randint(60, 110)) for c in top)
        # Vertical gradient backdrop, as on a studio sweep.
        column = Image.linear_gradient("L").resize((1, height))
        image = Image.composite(
            Image.new("RGB", (width, height), bottom),
            Image.new("RGB", (width, height), top),
            column.resize((width, height)),
        )
        draw = ImageDraw.Draw(image)
        # A soft floor shadow and a bottle-like product shape in a saturated colour.
        shadow = Image.new("L", (width, height), 0)
        ImageDraw.Draw(shadow).ellipse((width * 0.3, height * 0.78, width * 0.7, height * 0.86), fill=140)
        image.paste((20, 20, 20), mask=shadow.filter(ImageFilter.GaussianBlur(width // 40)))
        hue = tuple(rng.randint(30, 220) for _ in range(3))
        body = (width * 0.38, height * 0.32, width * 0.62, height * 0.82)
        draw.rounded_rectangle(body, radius=int(width * 0.05), fill=hue)
        draw.rectangle((width * 0.45, height * 0.18, width * 0.55, height * 0.33), fill=hue)
        draw.rectangle((width * 0.44, height * 0.14, width * 0.56, height * 0.19), fill=(40, 40, 40))
        draw.rectangle((width * 0.38, height * 0.5, width * 0.62, height * 0.64), fill=(250, 250, 250))
        label = request.label or "Product"
        size = max(10, int(width * 0.035))
        font = ImageFont.truetype(str(FONT_FILE), size)
        while font.getlength(label) > width * 0.22 and size > 10:
            size -= 1
            font = ImageFont.truetype(str(FONT_FILE), size)
        draw.text((width * 0.5, height * 0.57), label, font=font, fill=(30, 30, 30), anchor="mm")
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()
