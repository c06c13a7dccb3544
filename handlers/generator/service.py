"""What the generator does for one product: an image (from the cache or the model), saved, paid once.

Idempotent under Lambda's asynchronous retries: once the image is saved and recorded, a retried run goes
straight to invoking variants and never pays the model again. The last attempt that still fails marks the
product failed before raising, so the campaign settles and the on-failure destination keeps the event.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image, UnidentifiedImageError

from handlers.generator.models import ContentFiltered, ImageRequest, ModelUnavailable, seed_for
from handlers.generator.prompt import NEGATIVE_PROMPT, build_prompt
from handlers.shared import metrics as metric_names
from handlers.shared.bucket_layout import generated_key, image_cache_key
from handlers.shared.errors import error_code
from handlers.shared.image_words import found
from handlers.shared.invoke import invoke_async
from handlers.shared.lifecycle import record_generated, start_product
from handlers.shared.manifest import SETTLED, ManifestStore
from handlers.shared.manifest import product as find_product
from handlers.shared.payloads import RenderVariants
from handlers.shared.settled import republish_gallery
from handlers.shared.telemetry import Log, MetricSink


class ImageBackend(Protocol):
    """Where product shots come from: Bedrock (models.BedrockImages) or offline placeholders (the local run)."""

    @property
    def model_id(self) -> str: ...

    @property
    def usd_per_image(self) -> float: ...

    def generate(self, request: ImageRequest, remaining_ms: Callable[[], int] | None = None) -> bytes: ...


@dataclass
class GeneratorService:
    s3: Any
    store: ManifestStore
    backend: ImageBackend
    logger: Log
    metrics: MetricSink
    max_attempts: int = 3  # Lambda's attempts of one event: the last one that fails settles the product
    invoke: Callable[[RenderVariants], None] = invoke_async

    def handle(self, campaign_id: str, index: int, remaining_ms: Callable[[], int] | None = None) -> str:
        """`remaining_ms`: the Lambda context's get_remaining_time_in_millis, so model retries stop in time."""
        manifest = self.store.get(campaign_id)
        if manifest is None:
            raise LookupError(f"campaign {campaign_id} has no manifest")
        product = find_product(manifest, index)
        if product["status"] in SETTLED:
            self.logger.info("product already settled; duplicate invocation ignored")
            republish_gallery(self.s3, self.store.bucket, manifest)
            settled: str = product["status"]
            return settled
        if not product.get("generated_key"):
            attempt = product.get("generation_attempts", 0) + 1
            started = self.store.update(campaign_id, start_product(index, generation_attempts=attempt))
            if find_product(started, index)["status"] in SETTLED:  # cancelled before it started
                self.logger.info("product not started: the campaign was cancelled")
                return str(find_product(started, index)["status"])
            try:
                product = self._generate(manifest, product, remaining_ms)
            except ContentFiltered as error:
                self.logger.warning("image refused by the model's content filter", extra={"reason": str(error)})
                self.store.fail_product(campaign_id, index, "ContentFiltered", str(error))
                return "failed"
            except ModelUnavailable as error:  # permanent: told once, not retried (no call was paid)
                self.logger.warning("image model unavailable", extra={"reason": str(error)})
                self.metrics.add_metric(name=metric_names.MODEL_UNAVAILABLE, unit="Count", value=1)
                self.store.fail_product(campaign_id, index, ModelUnavailable.code, str(error))
                return "failed"
            except Exception as error:
                if attempt >= self.max_attempts:  # Lambda will not retry again: settle the product
                    self.store.fail_product(
                        campaign_id,
                        index,
                        error_code(error),
                        f"image generation failed after {attempt} attempts: {error}",
                    )
                raise
            if product["status"] == "cancelled":  # the cancel came while the image was made
                self.logger.info("image kept, variants not started: the campaign was cancelled")
                return "cancelled"
        self.invoke(RenderVariants(campaign_id, index, self.store.bucket, product["generated_key"]))
        return "rendering"

    def _generate(
        self, manifest: dict[str, Any], product: dict[str, Any], remaining_ms: Callable[[], int] | None
    ) -> dict[str, Any]:
        campaign_id, index = manifest["campaign_id"], product["index"]
        prompt = build_prompt(product, manifest)
        request = ImageRequest(
            prompt=prompt, negative_prompt=NEGATIVE_PROMPT, seed=seed_for(prompt), label=product["name"]
        )
        fingerprint = request.fingerprint(self.backend.model_id)
        cache_key = image_cache_key(fingerprint)
        target = generated_key(campaign_id, index, product["name"])
        payer = f"{campaign_id}/{index}"
        if self._exists(cache_key):
            self.s3.copy_object(
                Bucket=self.store.bucket,
                Key=target,
                ContentType="image/png",
                CopySource={"Bucket": self.store.bucket, "Key": cache_key},
                MetadataDirective="REPLACE",
            )
            paid = self.s3.head_object(Bucket=self.store.bucket, Key=cache_key).get("Metadata", {})
            if paid.get("paid-by") == payer:
                # This product's own earlier attempt paid for the image, then failed before recording it.
                cost, cache_hit, duration_ms = float(paid.get("cost-usd", 0)), False, 0.0
                self.logger.info("image paid by an earlier attempt recovered", extra={"cache_key": cache_key})
            else:
                cost, cache_hit, duration_ms = 0.0, True, 0.0
                self.metrics.add_metric(name=metric_names.PRODUCTS_REUSED, unit="Count", value=1)
                self.logger.info("image reused from the cache", extra={"cache_key": cache_key})
        else:
            started = time.perf_counter()
            png = self.backend.generate(request, remaining_ms=remaining_ms)
            duration_ms = (time.perf_counter() - started) * 1000
            check_png(png)
            cost, cache_hit = self.backend.usd_per_image, False
            # Counted when paid for (Powertools flushes even if this invocation fails later), so once.
            self.metrics.add_metric(name=metric_names.PRODUCTS_GENERATED, unit="Count", value=1)
            self.metrics.add_metric(name=metric_names.IMAGE_MODEL_COST_USD, unit="None", value=cost)
            self.metrics.add_metric(name=metric_names.GENERATION_DURATION_MS, unit="Milliseconds", value=duration_ms)
            self.logger.info(
                "image generated",
                extra={"model_id": self.backend.model_id, "cost_usd": cost, "generation_ms": round(duration_ms)},
            )
            # The cache copy first, saying who paid: if anything after it fails, the retry finds it, does not
            # pay again, and still records the cost against this product.
            self.s3.put_object(
                Bucket=self.store.bucket,
                Key=cache_key,
                Body=png,
                ContentType="image/png",
                Metadata={"paid-by": payer, "cost-usd": f"{cost}"},
            )
            self.s3.put_object(Bucket=self.store.bucket, Key=target, Body=png, ContentType="image/png")

        fields = {
            "generated_key": target,
            "source_key": target,
            "cost_usd": cost,
            "cache_hit": cache_hit,
            "model_id": self.backend.model_id,
            "prompt": prompt,
            "seed": request.seed,
            "status": "rendering",
        }
        recorded = self.store.update(campaign_id, record_generated(index, **fields))
        return find_product(recorded, index)

    def _exists(self, key: str) -> bool:
        # A listing, not HeadObject: without an unconditional s3:ListBucket, S3 answers 403 for a missing key.
        listing = self.s3.list_objects_v2(Bucket=self.store.bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in listing.get("Contents", []))


def check_png(data: bytes) -> None:
    """The model's answer is a real image before anyone pays to render it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except UnidentifiedImageError as error:
        raise ValueError(f"the image model returned {found(data)}, not a PNG image") from error
    except (OSError, SyntaxError) as error:
        raise ValueError(f"the image model returned {found(data)} that is damaged or cut short") from error
