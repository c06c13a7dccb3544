"""What the parser does with one uploaded brief: validate, create the campaign once, route each product once.

AWS calls live here; the decisions (validation, identity, asset choice) are pure functions in brief.py,
campaign.py and events.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from handlers.parser.brief import Violation, asset_key, check_brief, not_a_brief_name, too_large
from handlers.parser.campaign import campaign_id, missing_asset_reason, near_misses, pick_asset
from handlers.parser.events import Upload
from handlers.parser.wording import shorten
from handlers.shared import gallery, image_words
from handlers.shared import metrics as metric_names
from handlers.shared.bucket_layout import (
    ASSETS_PREFIX,
    INPUT_PREFIX,
    open_marker_key,
    rejection_report_key,
    upload_rejection_report_key,
)
from handlers.shared.invoke import invoke_async
from handlers.shared.manifest import ManifestStore, new_manifest, now_iso
from handlers.shared.payloads import GenerateImage, Payload, RenderVariants
from handlers.shared.settled import IndexStatus
from handlers.shared.telemetry import Log, MetricSink

MISSING_OBJECT_CODES = {"NoSuchKey", "NoSuchVersion", "404"}
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG: what a logo may be
MISSING_ASSET_CODE = "ExistingAssetMissing"
MAX_ASSET_KEYS_SCANNED = 10_000
OWNER_METADATA = "owner"  # S3 user metadata the API sets on the briefs it stores (the submitting team)


@dataclass
class Outcome:
    status: str  # started | duplicate | rejected | skipped
    campaign_id: str | None = None
    routed: tuple[int, ...] = ()
    report_key: str | None = None


def upload_report_key(upload: Upload) -> str:
    """One report per upload, never overwritten by the next: `<upload time>-<version id (or etag)>.json`, so a
    listing of the folder is oldest first. A redelivery of the same upload writes the same key."""
    stamp = (upload.event_time or now_iso()).replace("-", "").replace(":", "")
    tag = upload.version_id or (upload.etag or "")[:12] or "upload"
    return upload_rejection_report_key(upload.key, stamp, tag)


@dataclass
class ParserService:
    s3: Any
    store: ManifestStore
    max_brief_bytes: int
    logger: Log
    metrics: MetricSink
    invoke: Callable[[Payload], None] = invoke_async
    index: IndexStatus | None = None  # the API's campaign index, kept current for campaigns with an owner
    can_expand: bool = True  # an outpaint model (or the offline fill) paints "framing": "expand"

    def handle(self, upload: Upload) -> Outcome:
        if upload.bucket != self.store.bucket:
            self.logger.warning("upload in another bucket, skipped", extra={"bucket": upload.bucket, "key": upload.key})
            return Outcome("skipped")
        if not upload.key.startswith(INPUT_PREFIX) or upload.key.endswith("/"):
            self.logger.info(
                "not a brief upload (outside input/, or a folder marker), skipped", extra={"key": upload.key}
            )
            return Outcome("skipped")
        if not upload.key.lower().endswith(".json"):
            return self._reject(upload, [not_a_brief_name(upload.key)])
        read = self._read_brief(upload)
        if read is None:
            self.logger.warning("brief was deleted before it could be read; nothing to do", extra={"key": upload.key})
            return Outcome("skipped")
        if isinstance(read, int):
            return self._reject(upload, [too_large(read, self.max_brief_bytes)])
        body, owner = read

        check = check_brief(body, self.max_brief_bytes, self.can_expand)
        brief = check.brief
        if brief is None or not check.ok:
            return self._reject(upload, check.violations)

        cid = campaign_id(brief["campaign_name"], upload.identity)
        logo_problem = self._check_logo(brief.get("logo"))
        if logo_problem:
            self._index({"owner": owner, "campaign_id": cid, "status": "rejected"})  # the API shows it refused
            return self._reject(upload, [logo_problem])
        self.logger.append_keys(campaign_id=cid)
        on_missing = brief.get("on_missing_asset", "fail")
        products = [self._target(index, product, on_missing) for index, product in enumerate(brief["products"])]
        manifest = new_manifest(
            campaign_id=cid,
            brief=brief,
            brief_key=upload.key,
            products=products,
            brief_version_id=upload.version_id,
            bucket=upload.bucket,
            target_audience=brief.get("target_audience"),
            target_regions=brief.get("target_regions", []),
            brand_colors=brief.get("brand_colors", []),
            **({"logo_key": asset_key(brief["logo"])} if brief.get("logo") else {}),
            **({"framing": brief["framing"]} if brief.get("framing") else {}),
            **({"owner": owner} if owner else {}),
        )
        stored, created = self.store.create(manifest)
        if stored["status"] == "processing":  # the settler's sweep finds it even if a function's event is lost
            self.s3.put_object(Bucket=self.store.bucket, Key=open_marker_key(cid), Body=b"")
        if created:
            self.metrics.add_metric(name=metric_names.CAMPAIGNS_STARTED, unit="Count", value=1)
            self.logger.info("campaign started", extra={"products": len(products), "brief_key": upload.key})
            # The page shows the campaign while it runs; the function that settles it writes the final one.
            gallery.publish(self.s3, self.store.bucket, manifest)
            self._count_missing_assets(products)
            if manifest["status"] == "failed":  # every product named a missing asset: nothing left to run
                self.metrics.add_metric(name=metric_names.CAMPAIGNS_FAILED, unit="Count", value=1)
            self._index(manifest)  # queued -> processing (or failed) in the API's listing
        routed = self._route(cid, upload.bucket)
        return Outcome("started" if created else "duplicate", cid, routed)

    # -- reading --------------------------------------------------------------------------------------

    def _read_brief(self, upload: Upload) -> tuple[bytes, str | None] | int | None:
        """The brief's bytes and the owner the API recorded in its metadata (None for a plain upload); its
        real size (an int) when over the limit, refused without downloading it; None when it is gone."""
        if upload.size is not None and upload.size > self.max_brief_bytes:
            return upload.size
        request = {"Bucket": upload.bucket, "Key": upload.key}
        if upload.version_id:
            request["VersionId"] = upload.version_id  # exactly the upload announced, not a later overwrite
        try:
            response = self.s3.get_object(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] in MISSING_OBJECT_CODES:
                return None
            raise
        size: int = response.get("ContentLength", 0)
        if size > self.max_brief_bytes:
            response["Body"].close()
            return size
        body: bytes = response["Body"].read()
        owner = str(response.get("Metadata", {}).get(OWNER_METADATA, "")).strip()
        return body, owner or None

    def _check_logo(self, logo: str | None) -> Violation | None:
        """A logo that is missing or not a PNG/JPEG rejects the brief, naming the key (its first bytes are
        enough to tell; the variants decode it fully)."""
        if not logo:
            return None
        key = asset_key(logo)
        try:
            head = self.s3.get_object(Bucket=self.store.bucket, Key=key, Range="bytes=0-15")["Body"].read()
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in MISSING_OBJECT_CODES or code == "AccessDenied":
                return Violation("$.logo", f"logo {key} does not exist (or cannot be read)", shorten(logo))
            if code != "InvalidRange":  # InvalidRange: an empty file, refused below
                raise
            head = b""
        if not head.startswith(IMAGE_SIGNATURES):
            return Violation(
                "$.logo", f"logo {key} is {image_words.found(head)}, not a PNG or JPEG image", shorten(logo)
            )
        return None

    def _target(self, index: int, product: dict[str, Any], on_missing: str) -> dict[str, Any]:
        """Where the product's image comes from: the model, or the existing asset it names. A named asset that
        is not there fails the product with the reason, or, when the brief opts in, is generated instead."""
        entry = {
            "index": index,
            "name": product["name"],
            "description": product.get("description", ""),
            "product_id": product.get("id"),
            "image_source": "generated",
            "source_key": None,
        }
        requested = product.get("existing_assets")
        if not requested:
            return entry
        key = asset_key(requested)
        assert key is not None, "check_brief refuses a brief whose existing_assets leads outside existing-assets/"
        entry["existing_assets"] = requested
        listing = self.s3.list_objects_v2(Bucket=self.store.bucket, Prefix=key.rstrip("/"), MaxKeys=1000)
        found = pick_asset(key, [item["Key"] for item in listing.get("Contents", [])])
        if found:
            return {**entry, "image_source": "existing", "source_key": found}
        reason = missing_asset_reason(requested, key, near_misses(key, self._asset_keys()))
        self.logger.warning("existing asset missing", extra={"product_index": index, "reason": reason})
        if on_missing == "generate":
            return {**entry, "asset_substitution": {"requested": requested, "reason": reason}}
        return {
            **entry,
            "image_source": "existing",
            "status": "failed",
            "error": {"code": MISSING_ASSET_CODE, "message": reason},
        }

    def _count_missing_assets(self, products: list[dict[str, Any]]) -> None:
        """Once per campaign (not per delivery): assets asked for and missing, and those generated instead."""
        substituted = sum(1 for p in products if p.get("asset_substitution"))
        failed = sum(1 for p in products if (p.get("error") or {}).get("code") == MISSING_ASSET_CODE)
        if substituted + failed:
            self.metrics.add_metric(name=metric_names.EXISTING_ASSETS_MISSING, unit="Count", value=substituted + failed)
        if substituted:
            self.metrics.add_metric(name=metric_names.MISSING_ASSETS_GENERATED, unit="Count", value=substituted)

    def _asset_keys(self) -> list[str]:
        """Keys under existing-assets/, to name near misses (other case, spaces, formats); bounded, as
        S3 cannot list case-insensitively. Read only when a named asset is missing."""
        keys: list[str] = []
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.store.bucket, Prefix=ASSETS_PREFIX, PaginationConfig={"MaxItems": MAX_ASSET_KEYS_SCANNED}
        )
        for page in pages:
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return keys

    # -- routing --------------------------------------------------------------------------------------

    def _route(self, cid: str, bucket: str) -> tuple[int, ...]:
        """Claim every still-pending product (one conditional write), then invoke its next function.

        The claim makes duplicate deliveries route nothing: only the writer whose update moved a product
        out of `pending` invokes for it. If an invocation fails, its claim is released and the record fails,
        so the redelivery routes exactly the products not yet routed."""
        claimed: list[dict[str, Any]] = []

        def claim(manifest: dict[str, Any]) -> None:
            claimed.clear()  # the mutation may run again after a conflicting write
            for product in manifest["products"]:
                if product["status"] == "pending":
                    product["status"] = "rendering" if product["image_source"] == "existing" else "generating"
                    product["routed_at"] = now_iso()
                    claimed.append(dict(product))

        self.store.update(cid, claim)
        routed = []
        for product in claimed:
            index = product["index"]
            payload: Payload = GenerateImage(cid, index, bucket)
            if product["image_source"] == "existing":
                payload = RenderVariants(cid, index, bucket, product["source_key"])
                self.metrics.add_metric(name=metric_names.PRODUCTS_REUSED, unit="Count", value=1)
            try:
                self.invoke(payload)
            except Exception:
                self._release([p["index"] for p in claimed if p["index"] not in routed], cid)
                raise
            routed.append(index)
            to = "variants" if isinstance(payload, RenderVariants) else "generator"
            self.logger.info("product routed", extra={"product_index": index, "to": to})
        return tuple(routed)

    def _release(self, indexes: list[int], cid: str) -> None:
        def release(manifest: dict[str, Any]) -> None:
            for product in manifest["products"]:
                if (
                    product["index"] in indexes
                    and product["status"] in ("generating", "rendering")
                    and product.get("routed_at")
                ):
                    product["status"] = "pending"
                    product.pop("routed_at", None)

        self.store.update(cid, release)

    # -- rejection ------------------------------------------------------------------------------------

    def _index(self, campaign: dict[str, Any]) -> None:
        """The campaign's status in the API's index, for a brief the API stored (it has an owner)."""
        if self.index is not None:
            self.index.record_status(campaign, self.logger)

    def _reject(self, upload: Upload, violations: list[Violation]) -> Outcome:
        key, latest = upload_report_key(upload), rejection_report_key(upload.key)
        report = {
            "brief_key": upload.key,
            "bucket": upload.bucket,
            "version_id": upload.version_id,
            "uploaded_at": upload.event_time,
            "rejected_at": now_iso(),
            "report_key": key,
            "latest_report_key": latest,
            "violation_count": len(violations),
            "violations": [v.to_json() for v in violations],
            "what_to_do": "fix every violation listed and upload the brief again; this upload will not be retried",
        }
        body = json.dumps(report, indent=2, ensure_ascii=False).encode()
        for target in (key, latest):  # this upload's report, then the latest one (CONTRACT §3)
            self.s3.put_object(Bucket=self.store.bucket, Key=target, ContentType="application/json", Body=body)
        self.metrics.add_metric(name=metric_names.BRIEFS_REJECTED, unit="Count", value=1)
        self.logger.warning(
            "brief rejected",
            extra={"brief_key": upload.key, "report_key": key, "violations": [v.to_json() for v in violations[:20]]},
        )
        return Outcome("rejected", report_key=key)
