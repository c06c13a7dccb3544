"""Generative expand with a model: each frame's extension outpainted, cached content-addressed like
generated images (the cache copy written first, saying who paid, as the generator does), so a retry or
another campaign with the same frame never pays twice. The request itself is pure: expand.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image

from handlers.shared.bucket_layout import image_cache_key
from handlers.shared.image_models import ImageModel
from handlers.variants.expand import OutpaintUnfit, merge, outpainting
from handlers.variants.layout import Box
from handlers.variants.render import Expanded

LOCAL_STAND_IN = "local stand-in"  # the offline backend: today's plain/blur extension, marked as such


class ModelCall(Protocol):
    """handlers.generator.models.BedrockImages: retries, deadline, the model's price and limits."""

    @property
    def model_id(self) -> str: ...

    @property
    def model(self) -> ImageModel: ...

    @property
    def usd_per_image(self) -> float: ...

    def invoke(self, request: dict[str, Any], remaining_ms: Callable[[], int] | None = None) -> bytes: ...


def local_expander(canvas: Image.Image, covered: Box) -> Expanded:
    """The offline backend's expand: the extension compose() painted, free."""
    return Expanded(canvas, LOCAL_STAND_IN, 0.0)


@dataclass
class CachedOutpainter:
    s3: Any
    bucket: str
    model: ModelCall
    payer: str  # "<campaign>/<product index>": whose attempt paid for an image in the cache
    remaining_ms: Callable[[], int] | None = None

    def __call__(self, canvas: Image.Image, covered: Box) -> Expanded:
        try:
            request = outpainting(canvas, covered, self.model.model)
        except OutpaintUnfit as unfit:  # nothing paid: the plain fill, and the variant flagged for a look
            return Expanded(canvas, LOCAL_STAND_IN, 0.0, note=str(unfit))
        key = image_cache_key(request.fingerprint(self.model.model_id))
        if self._exists(key):
            cached = self.s3.get_object(Bucket=self.bucket, Key=key)
            paid = cached.get("Metadata", {})
            # This product's own earlier attempt paid (then failed before recording): still its cost.
            cost = float(paid.get("cost-usd", 0)) if paid.get("paid-by") == self.payer else 0.0
            return Expanded(merge(canvas, cached["Body"].read(), covered), self.model.model_id, cost)
        png = self.model.invoke(request.body, self.remaining_ms)
        cost = self.model.usd_per_image
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=png,
            ContentType="image/png",
            Metadata={"paid-by": self.payer, "cost-usd": f"{cost}"},
        )
        return Expanded(merge(canvas, png, covered), self.model.model_id, cost)

    def _exists(self, key: str) -> bool:
        # A listing, not HeadObject: without an unconditional s3:ListBucket, S3 answers 403 for a missing key.
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in listing.get("Contents", []))
