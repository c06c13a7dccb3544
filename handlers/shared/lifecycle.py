"""A campaign's lifecycle beyond the pipeline's own run: cancel, and the rules the functions follow after one.

Cancel is a request, not a stop: `request_cancel` marks the products no function has taken yet (`pending`)
`cancelled` at once; a product whose function is already queued or running (`generating`, `rendering`) keeps
going until that function looks: one that starts after the request marks its product `cancelled` without
working (`start_product`), one already running finishes its product. A generator that finishes after
the request keeps its image and cost but starts no variants (`record_generated`). Once every product
has settled the campaign settles `cancelled` (`manifest.settle`).

Every function here is a pure function of the manifest dict, safe to run more than once (`ManifestStore.update`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.shared.manifest import SETTLED, SETTLED_CAMPAIGN, now_iso, product

Mutation = Callable[[dict[str, Any]], None]

CANCELLED_CODE = "Cancelled"
CANCELLED_BEFORE_START = "the campaign was cancelled before this product was started"
CANCELLED_AFTER_GENERATION = "the campaign was cancelled while its image was made: the image is kept, no variants"


def cancel_requested(manifest: dict[str, Any]) -> bool:
    return bool(manifest.get("cancel_requested_at"))


def request_cancel(manifest: dict[str, Any]) -> None:
    """Ask for the campaign to stop: products not yet taken by a function are cancelled now, the others when
    their function looks. Asking again keeps the first request's time; a campaign that has settled is left as it
    is (the API answers 409 for it)."""
    if manifest.get("status") in SETTLED_CAMPAIGN:
        return
    if not cancel_requested(manifest):
        manifest["cancel_requested_at"] = now_iso()
    for entry in manifest["products"]:
        if entry["status"] == "pending":
            cancel_product(entry, CANCELLED_BEFORE_START)


def start_product(index: int, **fields: Any) -> Mutation:
    """A function taking its product: sets `fields` (status, attempts), or, when a cancel was asked for
    before it started, cancels the product instead. A settled product is left as it is. The caller reads the
    product's status from the manifest written to learn which happened."""

    def start(manifest: dict[str, Any]) -> None:
        entry = product(manifest, index)
        if entry["status"] in SETTLED:
            return
        if cancel_requested(manifest):
            cancel_product(entry, CANCELLED_BEFORE_START)
        else:
            entry.update(fields)

    return start


def record_generated(index: int, **fields: Any) -> Mutation:
    """The generator's image recorded (key, cost, ...); after a cancel the product ends `cancelled` with its
    image and cost kept, and no variants are started."""

    def record(manifest: dict[str, Any]) -> None:
        entry = product(manifest, index)
        entry.update(fields)
        if cancel_requested(manifest):
            cancel_product(entry, CANCELLED_AFTER_GENERATION)

    return record


def cancel_product(entry: dict[str, Any], reason: str) -> None:
    entry["status"] = "cancelled"
    entry["error"] = {"code": CANCELLED_CODE, "message": reason}


def clear_cancel(manifest: dict[str, Any]) -> None:
    """A re-render reopens the campaign: the earlier cancel no longer applies."""
    manifest.pop("cancel_requested_at", None)
