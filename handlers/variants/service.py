"""What the variants function does for one product: read the source, render five sizes, record them."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from shared import metrics as metric_names
from shared.manifest import ManifestStore, product as find_product
from shared.paths import variant_key
from variants.render import SourceImageError, render_all

MISSING = {"NoSuchKey", "NoSuchVersion", "404", "AccessDenied"}


class VariantsService:
    def __init__(self, s3: Any, store: ManifestStore, logger: Any, metrics: Any):
        self.s3 = s3
        self.store = store
        self.logger = logger
        self.metrics = metrics

    def handle(self, campaign_id: str, index: int, source_key: str | None) -> str:
        manifest = self.store.get(campaign_id)
        if manifest is None:
            raise LookupError(f"campaign {campaign_id} has no manifest")  # permanent, but never expected: retry
        product = find_product(manifest, index)
        if product["status"] in ("complete", "failed") and product.get("variants"):
            self.logger.info("product already rendered; duplicate invocation ignored")
            return product["status"]
        source_key = source_key or product.get("source_key")
        if not source_key:
            self.store.fail_product(campaign_id, index, "NoSource", "no source image was recorded for the product")
            return "failed"
        if product["status"] != "rendering":
            self.store.update_product(campaign_id, index, status="rendering")

        try:
            data = self.s3.get_object(Bucket=self.store.bucket, Key=source_key)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in MISSING:
                return self._fail(campaign_id, index, "SourceMissing",
                                  f"source image {source_key} does not exist or is not readable")
            raise

        started = time.perf_counter()
        try:
            variants = render_all(data, manifest["campaign_message"], manifest.get("brand_colors"))
        except SourceImageError as error:
            return self._fail(campaign_id, index, error.code, f"{source_key}: {error}")
        render_ms = (time.perf_counter() - started) * 1000

        recorded = []
        for variant in variants:
            key = variant_key(campaign_id, index, product["name"], variant.name)
            self.s3.put_object(Bucket=self.store.bucket, Key=key, Body=variant.jpeg, ContentType="image/jpeg")
            recorded.append({"name": variant.name, "width": variant.width, "height": variant.height, "key": key})
        self.store.update_product(campaign_id, index, status="complete", variants=recorded, error=None)
        self.metrics.add_metric(name=metric_names.VARIANTS_RENDERED, unit="Count", value=len(recorded))
        self.metrics.add_metric(name=metric_names.RENDER_DURATION_MS, unit="Milliseconds", value=render_ms)
        self.logger.info("variants rendered", extra={"variants": len(recorded), "render_ms": round(render_ms, 1)})
        return "complete"

    def _fail(self, campaign_id: str, index: int, code: str, message: str) -> str:
        self.logger.warning("product failed", extra={"error_code": code, "error": message})
        self.store.fail_product(campaign_id, index, code, message)
        return "failed"
