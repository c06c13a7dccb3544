"""The campaign manifest (`output/<campaign-id>/manifest.json`), shared by every function.

Updates are read-modify-write with S3 conditional writes: create with `IfNoneMatch="*"`, update with
`IfMatch=<etag read>`. When another writer got there first S3 answers 412 PreconditionFailed (or 409
ConditionalRequestConflict while a concurrent conditional write is in flight); the update re-reads and
re-applies its change, so concurrent updates from several functions never lose each other's writes.

A mutation is a plain function of the manifest dict: it may run more than once, so it must only
set state (never append blindly or count).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from handlers.shared.backoff import Backoff
from handlers.shared.bucket_layout import manifest_key

PRODUCT_STATUSES = ("pending", "generating", "rendering", "complete", "failed", "cancelled")
SETTLED = ("complete", "failed", "cancelled")  # product statuses that end a product
SETTLED_CAMPAIGN = ("complete", "partial", "failed", "cancelled")
CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
# Writers that collide on a manifest retry quickly: a write takes tens of milliseconds.
CONTENTION_BACKOFF = Backoff(attempts=25, base_delay=0.02, max_delay=1.0)


class ManifestNotFound(LookupError):
    pass


class ManifestContention(RuntimeError):
    """Too many concurrent writers for too long: transient, the caller's invocation should be retried."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_manifest(
    *, campaign_id: str, brief: dict[str, Any], brief_key: str, products: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """A manifest for a new campaign. `products` are the routed products (index, name, image_source, source_key)."""
    stamp = now_iso()
    return {
        "campaign_id": campaign_id,
        "campaign_name": brief["campaign_name"],
        "campaign_message": brief["campaign_message"],
        "brief_key": brief_key,
        "status": "processing",
        "created_at": stamp,
        "updated_at": stamp,
        "expected_products": len(products),
        "total_cost_usd": 0.0,
        **extra,
        "products": [
            {
                "index": product["index"],
                "name": product["name"],
                "image_source": product["image_source"],
                "source_key": product.get("source_key"),
                "status": product.get("status", "pending"),
                "variants": [],
                "cost_usd": 0.0,
                "error": None,
                **{
                    k: v
                    for k, v in product.items()
                    if k not in ("index", "name", "image_source", "source_key", "status")
                },
            }
            for product in products
        ],
    }


def settle(manifest: dict[str, Any]) -> dict[str, Any]:
    """Derive the campaign status and total cost from the products (pure).

    A campaign whose cancel was asked for (`cancel_requested_at`) settles as `cancelled` once every product
    has settled, whatever the products that finished before the cancel became (they stay as they are)."""
    products = manifest["products"]
    manifest["total_cost_usd"] = round(sum(float(p.get("cost_usd") or 0) for p in products), 6)
    statuses = [p["status"] for p in products]
    if len(products) < manifest["expected_products"] or any(s not in SETTLED for s in statuses):
        manifest["status"] = "processing"
    elif manifest.get("cancel_requested_at"):
        manifest["status"] = "cancelled"
    elif all(s == "complete" for s in statuses):
        manifest["status"] = "complete"
    elif all(s == "failed" for s in statuses):
        manifest["status"] = "failed"
    else:
        manifest["status"] = "partial"
    return manifest


def product(manifest: dict[str, Any], index: int) -> dict[str, Any]:
    entries: list[dict[str, Any]] = manifest["products"]
    for entry in entries:
        if entry["index"] == index:
            return entry
    raise KeyError(f"campaign {manifest['campaign_id']} has no product with index {index}")


class ManifestStore:
    def __init__(
        self,
        s3: Any,
        bucket: str,
        *,
        backoff: Backoff = CONTENTION_BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
        on_settled: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """`on_settled(manifest)` runs once per campaign, in the writer whose update settled it
        (the conditional write lets only one writer make that transition): emit metrics there."""
        self.s3 = s3
        self.on_settled = on_settled
        self.bucket = bucket
        self.backoff = backoff
        self.sleep = sleep

    def read(self, campaign_id: str) -> tuple[dict[str, Any], str]:
        """The manifest and its ETag; ManifestNotFound when the campaign has none."""
        key = manifest_key(campaign_id)
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in ("NoSuchKey", "404"):
                raise ManifestNotFound(campaign_id) from error
            # Without an unconditional s3:ListBucket (ours is limited to a prefix), S3 answers a missing key
            # with 403: a listing tells a campaign not written yet from a read we may not make.
            if code in ("AccessDenied", "403") and not self._listed(key):
                raise ManifestNotFound(campaign_id) from error
            raise
        manifest: dict[str, Any] = json.loads(response["Body"].read())
        return manifest, response["ETag"]

    def _listed(self, key: str) -> bool:
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in listing.get("Contents", []))

    def get(self, campaign_id: str) -> dict[str, Any] | None:
        try:
            return self.read(campaign_id)[0]
        except ManifestNotFound:
            return None

    def create(self, manifest: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Write a new manifest unless the campaign already has one.

        Returns (manifest as stored, created). `created` is False when another delivery of the same
        upload created it first: the caller must then not start the products again.
        """
        settle(manifest)
        try:
            self._put(manifest, IfNoneMatch="*")
            return manifest, True
        except ClientError as error:
            if not _is_conflict(error):
                raise
        return self.read(manifest["campaign_id"])[0], False

    def update(self, campaign_id: str, mutate: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
        """Apply `mutate` to the current manifest and write it back only if nobody wrote in between."""
        for attempt in range(self.backoff.attempts):
            current, etag = self.read(campaign_id)
            changed = copy.deepcopy(current)
            mutate(changed)
            settle(changed)
            if changed == current:
                return current  # nothing to write (for example a duplicate delivery)
            changed["updated_at"] = now_iso()
            try:
                self._put(changed, IfMatch=etag)
            except ClientError as error:
                if not _is_conflict(error):
                    raise
            else:
                if self.on_settled and current["status"] == "processing" and changed["status"] in SETTLED_CAMPAIGN:
                    self.on_settled(changed)
                return changed
            self.sleep(self.backoff.delay(attempt))
        raise ManifestContention(
            f"manifest of {campaign_id} changed under {self.backoff.attempts} attempts to update it"
        )

    def update_product(self, campaign_id: str, index: int, **fields: Any) -> dict[str, Any]:
        """Set fields of one product (status, variants, cost_usd, error, ...)."""
        for name, value in fields.items():
            if name == "status" and value not in PRODUCT_STATUSES:
                raise ValueError(f"product status {value!r} is not one of {PRODUCT_STATUSES}")

        def apply(manifest: dict[str, Any]) -> None:
            product(manifest, index).update(copy.deepcopy(fields))

        return self.update(campaign_id, apply)

    def fail_product(self, campaign_id: str, index: int, code: str, message: str) -> dict[str, Any]:
        return self.update_product(campaign_id, index, status="failed", error={"code": code, "message": message})

    def _put(self, manifest: dict[str, Any], **condition: str) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=manifest_key(manifest["campaign_id"]),
            Body=json.dumps(manifest, indent=2, ensure_ascii=False).encode(),
            ContentType="application/json",
            **condition,
        )


def _is_conflict(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return code in CONFLICT_CODES or status in ("412", "409")
