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

from handlers.parser.brief import Violation, asset_key, check_brief
from handlers.parser.campaign import brief_stem, campaign_id, pick_asset
from handlers.parser.events import Upload
from handlers.shared import gallery
from handlers.shared import metrics as metric_names
from handlers.shared.invoke import invoke_async
from handlers.shared.manifest import ManifestStore, new_manifest, now_iso

BRIEFS_PREFIX = "input/"
MISSING_OBJECT_CODES = {"NoSuchKey", "NoSuchVersion", "404"}
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG: what a logo may be


@dataclass
class Outcome:
    status: str  # started | duplicate | rejected | skipped
    campaign_id: str | None = None
    routed: tuple[int, ...] = ()
    report_key: str | None = None


def report_key(brief_key: str) -> str:
    return f"output/rejected/{brief_stem(brief_key)}/report.json"


class ParserService:
    def __init__(
        self,
        s3: Any,
        store: ManifestStore,
        max_brief_bytes: int,
        logger: Any,
        metrics: Any,
        invoke: Callable[[str, dict[str, Any]], None] = invoke_async,
    ):
        self.s3 = s3
        self.store = store
        self.max_brief_bytes = max_brief_bytes
        self.logger = logger
        self.metrics = metrics
        self.invoke = invoke

    def handle(self, upload: Upload) -> Outcome:
        if upload.bucket != self.store.bucket:
            self.logger.warning("upload in another bucket, skipped", extra={"bucket": upload.bucket, "key": upload.key})
            return Outcome("skipped")
        if not upload.key.startswith(BRIEFS_PREFIX) or not upload.key.endswith(".json"):
            self.logger.info("not a brief upload, skipped", extra={"key": upload.key})
            return Outcome("skipped")
        body = self._read_brief(upload)
        if body is None:
            self.logger.warning("brief was deleted before it could be read; nothing to do", extra={"key": upload.key})
            return Outcome("skipped")

        check = check_brief(body, self.max_brief_bytes)
        if not check.ok:
            return self._reject(upload, check.violations)

        brief = check.brief
        logo_problem = self._check_logo(brief.get("logo"))
        if logo_problem:
            return self._reject(upload, [logo_problem])
        cid = campaign_id(brief["campaign_name"], upload.identity)
        self.logger.append_keys(campaign_id=cid)
        products = [self._target(index, product) for index, product in enumerate(brief["products"])]
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
        )
        _, created = self.store.create(manifest)
        if created:
            self.metrics.add_metric(name=metric_names.CAMPAIGNS_STARTED, unit="Count", value=1)
            self.logger.info("campaign started", extra={"products": len(products), "brief_key": upload.key})
            # The page shows the campaign while it runs; the function that settles it writes the final one.
            gallery.publish(self.s3, self.store.bucket, manifest)
        routed = self._route(cid, upload.bucket)
        return Outcome("started" if created else "duplicate", cid, routed)

    # -- reading --------------------------------------------------------------------------------------

    def _read_brief(self, upload: Upload) -> bytes | None:
        if upload.size is not None and upload.size > self.max_brief_bytes:
            return b"\0" * (self.max_brief_bytes + 1)  # too large: refused without downloading it
        request = {"Bucket": upload.bucket, "Key": upload.key}
        if upload.version_id:
            request["VersionId"] = upload.version_id  # exactly the upload announced, not a later overwrite
        try:
            response = self.s3.get_object(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] in MISSING_OBJECT_CODES:
                return None
            raise
        if response.get("ContentLength", 0) > self.max_brief_bytes:
            return b"\0" * (self.max_brief_bytes + 1)
        return response["Body"].read()

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
                return Violation("$.logo", f"logo {key} does not exist (or cannot be read)", logo[:200])
            if code != "InvalidRange":  # InvalidRange: an empty file, refused below
                raise
            head = b""
        if not head.startswith(IMAGE_SIGNATURES):
            return Violation(
                "$.logo", f"logo {key} is not a PNG or JPEG image (it starts with {head[:8]!r})", logo[:200]
            )
        return None

    def _target(self, index: int, product: dict[str, Any]) -> dict[str, Any]:
        """Where the product's image comes from: an existing asset if one is found, else the model."""
        entry = {
            "index": index,
            "name": product["name"],
            "description": product.get("description", ""),
            "product_id": product.get("id"),
            "image_source": "generated",
            "source_key": None,
        }
        requested = product.get("existing_assets")
        if requested:
            key = asset_key(requested)  # validated already; never None here
            listing = self.s3.list_objects_v2(Bucket=self.store.bucket, Prefix=key.rstrip("/"), MaxKeys=1000)
            found = pick_asset(key, [item["Key"] for item in listing.get("Contents", [])])
            entry["existing_assets"] = requested
            if found:
                entry.update(image_source="existing", source_key=found)
            else:
                entry["asset_note"] = f"no image found under {key}; generating one instead"
                self.logger.info(
                    "existing asset not found, will generate",
                    extra={"product_index": index, "existing_assets": requested},
                )
        return entry

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
            payload = {"campaign_id": cid, "product_index": index, "bucket": bucket}
            target = "GENERATOR_FUNCTION"
            if product["image_source"] == "existing":
                payload["source_key"] = product["source_key"]
                target = "VARIANTS_FUNCTION"
                self.metrics.add_metric(name=metric_names.PRODUCTS_REUSED, unit="Count", value=1)
            try:
                self.invoke(target, payload)
            except Exception:
                self._release([p["index"] for p in claimed if p["index"] not in routed], cid)
                raise
            routed.append(index)
            self.logger.info("product routed", extra={"product_index": index, "to": target.split("_")[0].lower()})
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

    def _reject(self, upload: Upload, violations: list[Violation]) -> Outcome:
        key = report_key(upload.key)
        report = {
            "brief_key": upload.key,
            "bucket": upload.bucket,
            "version_id": upload.version_id,
            "rejected_at": now_iso(),
            "violation_count": len(violations),
            "violations": [v.to_json() for v in violations],
            "what_to_do": "fix every violation listed and upload the brief again; this upload will not be retried",
        }
        self.s3.put_object(
            Bucket=self.store.bucket,
            Key=key,
            ContentType="application/json",
            Body=json.dumps(report, indent=2, ensure_ascii=False).encode(),
        )
        self.metrics.add_metric(name=metric_names.BRIEFS_REJECTED, unit="Count", value=1)
        self.logger.warning(
            "brief rejected",
            extra={"brief_key": upload.key, "report_key": key, "violations": [v.to_json() for v in violations[:20]]},
        )
        return Outcome("rejected", report_key=key)
