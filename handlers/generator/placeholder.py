"""Offline image backend (IMAGE_BACKEND=local): a plausible product-shot placeholder, drawn with Pillow.

Same interface as models.BedrockImages, so the local run exercises the real generator code path.
Never the default in a deployed stack (settings refuse `imageBackend: local` there). The product's name is drawn
with the variants' font chain (handlers/shared/text_runs.py), so a name in any script shows; the chain's fonts lie
under handlers/variants/fonts, which the local run has (the generator's image does not, and never draws this).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

from handlers.generator.models import ImageRequest
from handlers.shared.text_runs import font, rtl, runs


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
        draw_label(draw, request.label or "Product", width, height)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()


def draw_label(draw: ImageDraw.ImageDraw, label: str, width: int, height: int) -> None:
    """The name on the bottle's label, centred, as large as fits 22% of the width (10 px at least). Each run is
    drawn with the first font of the chain that has its characters; right-to-left names run right to left."""
    pieces = runs(label)
    size = max(10, int(width * 0.035))
    while size > 10 and sum(font(index, size).getlength(run) for index, run in pieces) > width * 0.22:
        size -= 1
    lengths = [font(index, size).getlength(run) for index, run in pieces]
    x = width * 0.5 - sum(lengths) / 2
    placed = list(zip(pieces, lengths, strict=True))
    for (index, run), length in reversed(placed) if rtl(label) else placed:
        draw.text((x, height * 0.57), run, font=font(index, size), fill=(30, 30, 30), anchor="lm")
        x += length
