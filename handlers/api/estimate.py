"""What a brief will cost (pure): one image-model call per product without an existing asset, at the text-to-image
model's price; products that reuse an asset cost nothing. With `"framing": "expand"`, every product with an image
(existing assets included) may also pay one outpaint call per variant size, at the outpaint model's price. An upper
bound: an image or extension already in the cache is not paid again, and a size the source covers needs no
extension."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.parser.brief import asset_key
from handlers.shared.environment import ImageModels
from handlers.shared.image_models import image_model
from handlers.variants.layout import VARIANT_SIZES

OFFLINE = "offline placeholder images (local backend: free)"


@dataclass(frozen=True)
class Prices:
    """What the stack's models charge per call (nothing with the offline backend)."""

    image_model: str  # what the estimate names: the text-to-image model, or the offline backend
    usd_per_image: float
    outpaint_model: str | None = None  # None: expand is painted by the free offline fill, or refused
    usd_per_extension: float = 0.0
    extensions_per_product: int = 0  # the most outpaint calls an expand brief's product makes: one per size


def prices(models: ImageModels) -> Prices:
    if not models.bedrock:
        return Prices(OFFLINE, 0.0)
    model_id = models.model_id or ""
    text_to_image = Prices(model_id, image_model(model_id).usd_per_image)
    if models.outpaint_model_id is None:
        return text_to_image
    return Prices(
        model_id,
        text_to_image.usd_per_image,
        models.outpaint_model_id,
        image_model(models.outpaint_model_id).usd_per_image,
        len(VARIANT_SIZES),
    )


@dataclass(frozen=True)
class Estimate:
    prices: Prices
    products: list[dict[str, Any]]

    @property
    def model_calls(self) -> int:
        return sum(int(p["model_calls"]) for p in self.products)

    @property
    def total_usd(self) -> float:
        return round(sum(float(p["usd"]) for p in self.products), 6)

    def to_json(self) -> dict[str, Any]:
        return {
            "estimated_cost_usd": self.total_usd,
            "model_calls": self.model_calls,
            "usd_per_image": self.prices.usd_per_image,
            **({"usd_per_extension": self.prices.usd_per_extension} if self.prices.outpaint_model else {}),
            "products": self.products,
        }


def estimate(brief: dict[str, Any], prices: Prices, find_asset: Callable[[str], str | None]) -> Estimate:
    """`find_asset(key)` is the existing asset the parser would pick for `existing_assets` (None: missing)."""
    generate_missing = brief.get("on_missing_asset", "fail") == "generate"
    extensions = prices.extensions_per_product if brief.get("framing") == "expand" else 0
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
        images = int(image == "generated")
        painted = extensions if image != "missing" else 0
        if painted:
            note += (
                f"; framing expand: up to {painted} outpaint calls ({prices.outpaint_model}), one per variant size "
                "the image does not fill"
            )
        products.append(
            {
                "index": index,
                "name": product["name"],
                "image": image,
                "model_calls": images + painted,
                "usd": round(images * prices.usd_per_image + painted * prices.usd_per_extension, 6),
                "note": note,
            }
        )
    return Estimate(prices, products)
