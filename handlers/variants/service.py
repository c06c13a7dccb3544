"""What the variants function does for one product: read the source, render five sizes, record them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from PIL import Image

from handlers.generator.models import ContentFiltered, ModelUnavailable
from handlers.shared import metrics as metric_names
from handlers.shared.bucket_layout import variant_key
from handlers.shared.errors import error_code
from handlers.shared.lifecycle import cancel_requested, start_product
from handlers.shared.manifest import SETTLED, ManifestNotFound, ManifestStore
from handlers.shared.manifest import product as find_product
from handlers.shared.settled import republish_gallery
from handlers.variants import logo
from handlers.variants.outpaint import CachedOutpainter, ModelCall, local_expander
from handlers.variants.render import (
    Expander,
    SourceImageError,
    SubjectFinder,
    layout_record,
    prepare,
    render_locale,
)
from handlers.variants.subjects import Subjects

MISSING = {"NoSuchKey", "NoSuchVersion", "404", "AccessDenied"}


class VariantsService:
    def __init__(
        self,
        s3: Any,
        store: ManifestStore,
        logger: Any,
        metrics: Any,
        max_attempts: int = 3,
        model: ModelCall | None = None,
        can_expand: bool = True,
        find_subjects: Callable[[Image.Image, str], Subjects] | None = None,
    ):
        """`model`: paints a brief's generative expand (None: the offline backend's own fill, where `can_expand`;
        a Bedrock stack without an outpaint model cannot expand). `find_subjects`: finds a photo's subject and
        faces (Amazon Rekognition); None, or when it fails: the offline detector."""
        self.s3 = s3
        self.model = model
        self.can_expand = can_expand
        self.find_subjects = find_subjects
        self.max_attempts = max_attempts
        self.store = store
        self.logger = logger
        self.metrics = metrics

    def handle(
        self, campaign_id: str, index: int, source_key: str | None, remaining_ms: Callable[[], int] | None = None
    ) -> str:
        """Render, or raise for Lambda to retry; the last attempt that still fails settles the product.
        `remaining_ms`: the Lambda context's get_remaining_time_in_millis, so outpaint calls stop in time.

        One read of the manifest and, when nothing else wrote it meanwhile, one conditional write (S3 requests
        per product: benchmarks/local_run_bench.py). A failed attempt is counted as it fails, so the next one
        knows whether it is the last."""
        try:
            known = self.store.read(campaign_id)
        except ManifestNotFound as error:  # permanent, but never expected: retry
            raise LookupError(f"campaign {campaign_id} has no manifest") from error
        product = find_product(known[0], index)
        attempt = product.get("render_attempts", 0) + 1
        try:
            return self._render(campaign_id, known, product, source_key, attempt, remaining_ms)
        except Exception as error:
            if attempt >= self.max_attempts:
                self.store.fail_product(
                    campaign_id, index, error_code(error), f"rendering failed after {attempt} attempts: {error}"
                )
            else:
                self.store.update_product(campaign_id, index, render_attempts=attempt)
            raise

    def _render(
        self,
        campaign_id: str,
        known: tuple[dict[str, Any], str],
        product: dict[str, Any],
        source_key: str | None,
        attempt: int,
        remaining_ms: Callable[[], int] | None = None,
    ) -> str:
        manifest, index = known[0], product["index"]
        if product["status"] in SETTLED:
            self.logger.info("product already settled; duplicate invocation ignored")
            republish_gallery(self.s3, self.store.bucket, manifest)
            return str(product["status"])
        if cancel_requested(manifest):  # the campaign was cancelled before this product was started: skip it
            taken = self.store.update(campaign_id, start_product(index, status="rendering"))
            status = str(find_product(taken, index)["status"])
            if status != "rendering":
                self.logger.info("product not rendered", extra={"status": status})
                return status
            # A re-render withdrew the cancel since the read: render as asked, from the manifest as it is now.
            known = self.store.read(campaign_id)
            manifest, product = known[0], find_product(known[0], index)
        source_key = source_key or product.get("source_key")
        if not source_key:
            self.store.fail_product(campaign_id, index, "NoSource", "no source image was recorded for the product")
            return "failed"

        try:
            data = self.s3.get_object(Bucket=self.store.bucket, Key=source_key)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in MISSING:
                return self._fail(
                    campaign_id, index, "SourceMissing", f"source image {source_key} does not exist or is not readable"
                )
            raise

        logo_key = manifest.get("logo_key")
        logo_data = None
        if logo_key:
            try:
                logo_data = self.s3.get_object(Bucket=self.store.bucket, Key=logo_key)["Body"].read()
            except ClientError as error:
                if error.response["Error"]["Code"] in MISSING:
                    return self._fail(campaign_id, index, "LogoMissing", f"logo {logo_key} does not exist any more")
                raise

        expand = manifest.get("framing") == "expand"
        if expand and not self.can_expand:  # the parser refuses such briefs; a stack changed since may meet one
            return self._fail(
                campaign_id,
                index,
                "ExpandUnavailable",
                'the brief asks for "framing": "expand", and this stack has no outpaint model '
                "(creative-automation:bedrockOutpaintModelId); nothing was paid",
            )
        started = time.perf_counter()
        try:
            prepared = prepare(
                data,
                expander=self._expander(campaign_id, index, remaining_ms) if expand else None,
                find_subjects=self._finder(f"{campaign_id}/{index}") if self.find_subjects else None,
                brand_colors=manifest.get("brand_colors"),
            )
        except SourceImageError as error:
            return self._fail(campaign_id, index, error.code, f"{source_key}: {error}")
        except ModelUnavailable as error:  # permanent: told once, not retried (the refused call is not paid)
            self.metrics.add_metric(name=metric_names.MODEL_UNAVAILABLE, unit="Count", value=1)
            return self._fail(campaign_id, index, ModelUnavailable.code, str(error))
        except ContentFiltered as error:  # the outpaint model's filter: a retry would be refused (and paid) again
            return self._fail(campaign_id, index, "ContentFiltered", f"the outpaint model refused the picture: {error}")
        try:
            brand_logo = logo.load(logo_data) if logo_data else None
        except SourceImageError as error:
            return self._fail(campaign_id, index, error.code, f"{logo_key}: {error}")
        localized = list(messages(manifest["campaign_message"]).items())
        rendered = [
            variant
            for number, (locale, message) in enumerate(localized, 1)
            for variant in render_locale(
                prepared, message, manifest.get("brand_colors"), locale, brand_logo, last=number == len(localized)
            )
        ]
        render_ms = (time.perf_counter() - started) * 1000

        recorded: list[dict[str, Any]] = []
        review: list[str] = []
        for variant in rendered:
            key = variant_key(campaign_id, index, product["name"], variant.name, variant.locale)
            self.s3.put_object(Bucket=self.store.bucket, Key=key, Body=variant.jpeg, ContentType="image/jpeg")
            entry: dict[str, Any] = {"locale": variant.locale} if variant.locale else {}
            entry |= {"name": variant.name, "width": variant.width, "height": variant.height, "key": key}
            recorded.append(entry | {"check": variant.check.to_json(), "layout": layout_record(variant, prepared)})
            if variant.check.needs_review:
                review.append(f"{variant.locale}/{variant.name}" if variant.locale else variant.name)
        expand_cost = round(sum(expanded.cost_usd for expanded in prepared.expanded.values()), 6)
        detect_cost = round(prepared.subjects.cost_usd, 6)
        # The product's cost: its generation (or nothing) plus this expand and this detection, once however often
        # this runs (each replaces what an earlier run recorded).
        cost = (
            float(product.get("cost_usd") or 0)
            - float(product.get("expand_cost_usd") or 0)
            - float(product.get("detect_cost_usd") or 0)
            + expand_cost
            + detect_cost
        )
        paid = ({"expand_cost_usd": expand_cost} if prepared.expanded else {}) | (
            {"detect_cost_usd": detect_cost} if detect_cost or product.get("detect_cost_usd") else {}
        )
        self.store.update_product_fields(
            campaign_id,
            index,
            (paid | {"cost_usd": round(cost, 6)} if paid else {})
            | {
                "subjects": prepared.subjects.to_json(),
                "render_attempts": attempt,
                "status": "complete",
                "variants": recorded,
                "error": None,
                "needs_review": sorted(review),
                "source_frames": prepared.frames,
            },
            known,
        )
        self.metrics.add_metric(name=metric_names.VARIANTS_RENDERED, unit="Count", value=len(recorded))
        self.metrics.add_metric(name=metric_names.RENDER_DURATION_MS, unit="Milliseconds", value=render_ms)
        self.logger.info("variants rendered", extra={"variants": len(recorded), "render_ms": round(render_ms, 1)})
        return "complete"

    def _finder(self, payer: str) -> SubjectFinder:
        """The subject finder for one product (`payer`: whose attempt pays), falling back to the offline detector
        (with a warning, and the reason recorded) when it fails: a detector's outage never fails a product."""
        assert self.find_subjects is not None
        finder = self.find_subjects

        def find(image: Image.Image) -> Subjects:
            try:
                return finder(image, payer)
            except Exception as error:
                self.logger.warning("subject detector failed: offline detector used", extra={"error": str(error)})
                return Subjects(None, (), f"detector failed, {error_code(error)}: {str(error)[:160]}", None)

        return find

    def _expander(self, campaign_id: str, index: int, remaining_ms: Callable[[], int] | None) -> Expander:
        if self.model is None:
            return local_expander  # offline: the own fill
        return CachedOutpainter(self.s3, self.store.bucket, self.model, f"{campaign_id}/{index}", remaining_ms)

    def _fail(self, campaign_id: str, index: int, code: str, message: str) -> str:
        self.logger.warning("product failed", extra={"error_code": code, "error": message})
        self.store.fail_product(campaign_id, index, code, message)
        return "failed"


def messages(campaign_message: str | dict[str, str]) -> dict[str | None, str]:
    """Locale -> message; a plain string is the one message of no particular locale (today's layout)."""
    if isinstance(campaign_message, dict):
        return {str(locale): message for locale, message in campaign_message.items()}
    return {None: campaign_message}
