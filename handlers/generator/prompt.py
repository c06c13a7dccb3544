"""The image prompt for a product (pure): what a product shot of it should look like for this campaign."""

from __future__ import annotations

from typing import Any

# Text the variants draw themselves; clutter that would hide the product from the variants' detector (it finds the
# product against a smooth background) or fight with the message laid beside it.
NEGATIVE_PROMPT = (
    "text, letters, words, watermark, logo, caption, blurry, low quality, distorted, extra limbs, "
    "busy background, clutter, props, scenery, multiple products, cropped product"
)

# Names for brand colours, so the model gets words rather than hex codes it tends to ignore.
_NAMED = {
    (255, 255, 255): "white",
    (0, 0, 0): "black",
    (255, 0, 0): "red",
    (0, 128, 0): "green",
    (0, 0, 255): "blue",
    (255, 255, 0): "yellow",
    (255, 165, 0): "orange",
    (128, 0, 128): "purple",
    (255, 192, 203): "pink",
    (128, 128, 128): "grey",
    (165, 42, 42): "brown",
    (0, 255, 255): "cyan",
    (0, 128, 128): "teal",
    (0, 0, 128): "navy",
    (245, 245, 220): "beige",
    (128, 0, 0): "maroon",
    (173, 216, 230): "light blue",
    (0, 122, 255): "bright blue",
    (34, 139, 34): "forest green",
    (255, 127, 80): "coral",
    (255, 215, 0): "gold",
}


def color_name(hex_color: str) -> str:
    value = hex_color.lstrip("#")
    rgb = tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))
    nearest = min(_NAMED, key=lambda named: sum((a - b) ** 2 for a, b in zip(named, rgb, strict=False)))
    return f"{_NAMED[nearest]} ({hex_color.upper()})"


def build_prompt(product: dict[str, Any], campaign: dict[str, Any], max_chars: int = 1024) -> str:
    """A studio product shot of the product, styled for the campaign's audience, regions and brand colours.

    The campaign message is deliberately left out: the variants lay it over the image, and image models
    render text badly."""
    name = product["name"].strip()
    parts = [f"Professional advertising product photograph of {name}"]
    description = (product.get("description") or "").strip()
    if description:
        parts.append(description.rstrip("."))
    audience = (campaign.get("target_audience") or "").strip()
    if audience:
        parts.append(f"styled to appeal to {audience}")
    regions = [r for r in campaign.get("target_regions") or [] if r]
    if regions:
        parts.append(f"for a campaign in {', '.join(regions)}")
    colors = campaign.get("brand_colors") or []
    if colors:
        parts.append(f"colour palette of {', '.join(color_name(c) for c in colors[:3])}")
    parts.append(
        "the whole product centred, plain light seamless studio backdrop, soft even studio lighting, sharp focus, "
        "space around the product for a text overlay"
    )
    prompt = ". ".join(parts) + "."
    return prompt if len(prompt) <= max_chars else prompt[: max_chars - 1].rsplit(" ", 1)[0] + "."
