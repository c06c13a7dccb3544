"""Re-render a campaign's variants in bulk (for instance after a font or layout change).

For each product with a source image, the product goes back to `rendering` and the variants function
is invoked for it, exactly as the parser or generator would have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.shared.bucket_layout import manifest_key, open_marker_key
from handlers.shared.lifecycle import clear_cancel
from handlers.shared.manifest import ManifestStore
from handlers.shared.payloads import RenderVariants


class CampaignNotFound(LookupError):
    """The campaign has no manifest: re-running cannot help."""


def rerender(store: ManifestStore, campaign_id: str, invoke: Callable[[RenderVariants], None]) -> list[int]:
    # A listing first: with ListBucket granted only under output/, S3 answers a GetObject of a missing key
    # with 403, not 404, so the manifest read alone cannot tell a missing campaign from a forbidden one.
    key = manifest_key(campaign_id)
    listing = store.s3.list_objects_v2(Bucket=store.bucket, Prefix=key, MaxKeys=1)
    if not any(item["Key"] == key for item in listing.get("Contents", [])):
        raise CampaignNotFound(f"campaign {campaign_id!r} has no manifest in {store.bucket}")
    manifest = store.get(campaign_id)
    if manifest is None:
        raise CampaignNotFound(f"campaign {campaign_id!r} has no manifest in {store.bucket}")
    indexes = [p["index"] for p in manifest["products"] if p.get("source_key")]

    def reopen(current: dict[str, Any]) -> None:
        clear_cancel(current)  # asking for a re-render undoes an earlier cancel
        for product in current["products"]:
            if product["index"] in indexes:
                product.update(status="rendering", render_attempts=0)

    store.update(campaign_id, reopen)
    # Open again: the settler's sweep watches it, so a worker that dies before every product is handed over does
    # not leave the campaign `processing` for good.
    store.s3.put_object(Bucket=store.bucket, Key=open_marker_key(campaign_id), Body=b"")
    for index in indexes:
        source = next(p["source_key"] for p in manifest["products"] if p["index"] == index)
        invoke(RenderVariants(campaign_id, index, store.bucket, source))
    return indexes
