"""Generative expand (pure): the outpainting request that extends a framed canvas, and the merge back.

`"framing": "expand"` in a brief asks the image model, rather than a blur or a plain continuation, to paint
the part of each frame the source does not cover. Nova Canvas and Titan Image Generator both take
`taskType: OUTPAINTING` with `outPaintingParams` (image, maskImage, text, negativeText, outPaintingMode):
the mask is pure black where the image is kept and pure white where the model paints. The input must be
8-bit RGB without transparency; the output has the input's size. Sizes (Nova Canvas user guide, supported
image resolutions): each side a multiple of 16 between 320 and 4096, at most 4,194,304 pixels. Titan's
editing input is kept at most 1408 on its longer side (its documented generation maximum), so one request
shape suits both.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image

from handlers.variants.layout import Box

OUTPAINTING_FAMILY = "amazon-image"  # Nova Canvas, Titan Image Generator v1/v2
STEP = 16
MIN_SIDE = 320
MAX_SIDE = {"nova": 4096, "titan": 1408}
MAX_PIXELS = 4_194_304
PROMPT = "the same studio background continued seamlessly, soft even light, no text, no objects"
NEGATIVE = "text, letters, logo, watermark, people, extra products, frame, border"
SEED = 20_240_601  # fixed, within every model's range: the same frame outpaints (and caches) the same way


@dataclass(frozen=True)
class Outpainting:
    """One frame's outpainting request: the body and where the kept source lands in the model's canvas."""

    model_size: tuple[int, int]
    kept: Box  # in model pixels
    body: dict[str, Any]

    def fingerprint(self, model_id: str) -> str:
        """Content address of the outpainted image (same model, image, mask, prompt and seed: same image)."""
        return hashlib.sha256(json.dumps({"model": model_id, "body": self.body}, sort_keys=True).encode()).hexdigest()


def model_size(frame: tuple[int, int], model_id: str) -> tuple[int, int]:
    """The frame's shape in sizes the model accepts: scaled into its limits, each side a multiple of 16
    (rounded up, so the frame never shrinks more than the limits force)."""
    max_side = MAX_SIDE["nova" if model_id.startswith("amazon.nova") else "titan"]
    width, height = frame
    scale = min(1.0, max_side / max(width, height), math.sqrt(MAX_PIXELS / (width * height)))
    scale = max(scale, MIN_SIDE / min(width, height))
    sides = [min(max_side, max(MIN_SIDE, math.ceil(side * scale / STEP) * STEP)) for side in frame]
    while sides[0] * sides[1] > MAX_PIXELS:  # rounding up may pass the pixel limit by a row
        index = 0 if sides[0] >= sides[1] else 1
        sides[index] -= STEP
    return sides[0], sides[1]


def outpainting(canvas: Image.Image, covered: Box, model_id: str) -> Outpainting:
    """The request that repaints `canvas` (the framing painted, its extension a stand-in) outside `covered`
    (the frame pixels the source covers), which is kept."""
    size = model_size(canvas.size, model_id)
    sx, sy = size[0] / canvas.width, size[1] / canvas.height
    # Kept: the covered rectangle shrunk to whole model pixels inside it, so no stand-in pixel is kept.
    kept = Box(
        math.ceil(covered.left * sx), math.ceil(covered.top * sy),
        math.floor(covered.right * sx), math.floor(covered.bottom * sy),
    )  # fmt: skip
    mask = Image.new("L", size, 255)  # white: painted by the model
    mask.paste(0, (kept.left, kept.top, kept.right, kept.bottom))  # black: kept
    image = canvas.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    body = {
        "taskType": "OUTPAINTING",
        "outPaintingParams": {
            "image": _png64(image),
            "maskImage": _png64(mask.convert("RGB")),
            "text": PROMPT,
            "negativeText": NEGATIVE,
            "outPaintingMode": "PRECISE",  # keep the product's edges exactly; DEFAULT may blend into them
        },
        "imageGenerationConfig": {"numberOfImages": 1, "quality": "standard", "cfgScale": 6.5, "seed": SEED},
    }
    return Outpainting(size, kept, body)


def merge(canvas: Image.Image, outpainted: bytes, covered: Box) -> Image.Image:
    """The model's canvas at the frame's size, with the frame's own pixels put back where the source covers
    it: the product keeps exactly the pixels and place the framing gave it."""
    with Image.open(io.BytesIO(outpainted)) as answer:
        expanded = answer.convert("RGB").resize(canvas.size, Image.Resampling.BICUBIC)
    expanded.paste(canvas.crop((covered.left, covered.top, covered.right, covered.bottom)), (covered.left, covered.top))
    return expanded


def _png64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
