"""Generative expand (pure): the outpaint request that extends a framed canvas, and the merge back.

`"framing": "expand"` in a brief asks an image model, rather than a blur or a plain continuation, to paint the part
of each frame the source does not cover. The model is Stability AI's Outpaint service on Bedrock (Stability AI Image
Services, `stability.stable-outpaint-v1:0`): it takes the image to keep and how many pixels to add on each side
(`left`, `right`, `up`, `down`, 0 to 2000 each, at least one above 0), with an optional `prompt`, `creativity`,
`seed` and `output_format`, and no negative prompt. The kept image must have every side at least 64 px, at most
9,437,184 pixels, and an aspect ratio between 1:2.5 and 2.5:1 (image_models.json `limits`). It answers with the
extended image, which is scaled to the frame; the frame's own pixels are then put back where the source covers it,
so the product keeps exactly the pixels and place the framing gave it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

from PIL import Image

from handlers.shared.image_models import ImageModel
from handlers.variants.layout import Box

PROMPT = "the same plain studio background continued seamlessly, soft even light, no text, no objects"
# Below the service's default of 0.5: continue the backdrop, do not invent scenery around the product.
CREATIVITY = 0.3
SEED = 20_240_601  # fixed, within the model's range: the same frame outpaints (and caches) the same way
OUTPUT_FORMAT = "png"


class OutpaintUnfit(ValueError):
    """A frame outside the outpaint model's limits (the kept part too small, too elongated or too large, an
    extension too wide, or nothing to paint): says which, so the plain fill is used and the variant flagged."""


@dataclass(frozen=True)
class Outpainting:
    """One frame's outpaint request: the body, whose `left`, `right`, `up`, `down` are the frame pixels painted."""

    body: dict[str, Any]

    def fingerprint(self, model_id: str) -> str:
        """Content address of the outpainted image (same model, image, sides, prompt and seed: same image)."""
        return hashlib.sha256(json.dumps({"model": model_id, "body": self.body}, sort_keys=True).encode()).hexdigest()


def outpainting(canvas: Image.Image, covered: Box, model: ImageModel) -> Outpainting:
    """The request that extends the part of `canvas` the source covers (`covered`, in frame pixels) to the whole
    frame. Raises OutpaintUnfit when that part is outside the model's limits."""
    limits = model.limits
    kept = canvas.convert("RGB").crop((covered.left, covered.top, covered.right, covered.bottom))
    width, height = kept.size
    if min(width, height) < limits["min_side"]:
        raise OutpaintUnfit(
            f"the source covers {width}x{height} px of the frame; the outpaint model needs every side of the image "
            f"it extends to be at least {limits['min_side']} px"
        )
    if max(width, height) / min(width, height) > limits["max_aspect"]:
        raise OutpaintUnfit(
            f"the source covers {width}x{height} px of the frame (aspect {max(width, height) / min(width, height):.1f}"
            f":1); the outpaint model takes aspects up to {limits['max_aspect']}:1"
        )
    if width * height > limits["max_pixels"]:
        raise OutpaintUnfit(f"{width}x{height} px is above the outpaint model's {limits['max_pixels']:,} pixels")
    extensions = (covered.left, canvas.width - covered.right, covered.top, canvas.height - covered.bottom)
    if not any(extensions):
        raise OutpaintUnfit("the source covers the whole frame: nothing to paint")
    if max(extensions) > limits["max_extension"]:
        raise OutpaintUnfit(f"an extension of {max(extensions)} px is above the model's {limits['max_extension']}")
    left, right, up, down = extensions
    body = {
        "image": _png64(kept),
        "left": left,
        "right": right,
        "up": up,
        "down": down,
        "prompt": PROMPT,
        "creativity": CREATIVITY,
        "seed": SEED,
        "output_format": OUTPUT_FORMAT,
    }
    return Outpainting(body)


def merge(canvas: Image.Image, outpainted: bytes, covered: Box) -> Image.Image:
    """The model's extended image at the frame's size, with the frame's own pixels put back where the source
    covers it: the product keeps exactly the pixels and place the framing gave it."""
    with Image.open(io.BytesIO(outpainted)) as answer:
        expanded = answer.convert("RGB")
        if expanded.size != canvas.size:
            expanded = expanded.resize(canvas.size, Image.Resampling.BICUBIC)
    expanded.paste(canvas.crop((covered.left, covered.top, covered.right, covered.bottom)), (covered.left, covered.top))
    return expanded


def _png64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
