"""What a brief will cost (pure): one image-model call per product without an existing asset, at the model's
price; products that reuse an asset cost nothing. With `"framing": "expand"` and a model that outpaints, every
product with an image (existing assets included) may also pay one outpaint call per variant size. An upper bound:
an image or extension already in the cache is not paid again, and a size the source covers needs no extension."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.parser.brief import asset_key
from handlers.shared.image_models import model_table
from handlers.variants.layout import VARIANT_SIZES


def image_model(image_backend: str, model_id: str | None) -> str:
    """What the estimate prices: the model id, or the offline backend."""
    if image_backend == "bedrock":
        return model_id or ""
    return "offline placeholder images (local backend: free)"


def usd_per_image(image_backend: str, model_id: str | None) -> float:
    """The price of one generated image: the Bedrock model's, or nothing for the offline placeholder backend."""
    if image_backend != "bedrock":
        return 0.0
    return float(model_table()[model_id or ""]["usd_per_image"])


def expand_calls(image_backend: str, model_id: str | None) -> int:
    """The most outpaint calls a product's `"framing": "expand"` makes: one per variant size, with a Bedrock model
    that outpaints; none otherwise (the default fill, free)."""
    if image_backend != "bedrock" or not model_table().get(model_id or "", {}).get("outpaints"):
        return 0
    return len(VARIANT_SIZES)


@dataclass(frozen=True)
class Estimate:
    usd_per_image: float
    products: list[dict[str, Any]]

    @property
    def model_calls(self) -> int:
        return sum(int(p["model_calls"]) for p in self.products)

    @property
    def total_usd(self) -> float:
        return round(self.model_calls * self.usd_per_image, 6)

    def to_json(self) -> dict[str, Any]:
        return {
            "estimated_cost_usd": self.total_usd,
            "model_calls": self.model_calls,
            "usd_per_image": self.usd_per_image,
            "products": self.products,
        }


def estimate(
    brief: dict[str, Any], price: float, find_asset: Callable[[str], str | None], expand_per_product: int = 0
) -> Estimate:
    """`find_asset(key)` is the existing asset the parser would pick for `existing_assets` (None: missing);
    `expand_per_product`: `expand_calls(...)` of the stack's model."""
    generate_missing = brief.get("on_missing_asset", "fail") == "generate"
    extensions = expand_per_product if brief.get("framing") == "expand" else 0
    products = []
    for index, product in enumerate(brief["products"]):
        requested = product.get("existing_assets")
        found = find_asset(asset_key(requested) or "") if requested else None
        if found:
            image, note = "existing", f"reuses {found}"
        elif not requested:
            image, note = "generated", "made by the image model"
        elif generate_missing:
            image, note = "generated", f"existing asset {requested!r} is missing: generated instead"
        else:
            image, note = "missing", f"existing asset {requested!r} is missing: this product will fail"
        calls = int(image == "generated")
        if extensions and image != "missing":
            calls += extensions
            note += f"; framing expand: up to {extensions} outpaint calls, one per variant size the image does not fill"
        products.append(
            {
                "index": index,
                "name": product["name"],
                "image": image,
                "model_calls": calls,
                "usd": round(calls * price, 6),
                "note": note,
            }
        )
    return Estimate(price, products)
