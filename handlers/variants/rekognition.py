"""The subject and the faces of a photo, found by Amazon Rekognition (DetectLabels and DetectFaces), paid once per
image content: the answer is cached under output/_image-cache/ by the content of the image sent, with what it cost.

The image sent is the decoded, upright source, scaled to at most MAX_SIDE and encoded as JPEG: Rekognition takes
JPEG or PNG bytes up to 5 MB and at least 80 px a side, and its boxes are ratios of the image it was sent, so they
land on the decoded source exactly (EXIF orientation already applied). A failure is never fatal: the caller falls
back to the offline detector and says so.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from handlers.shared.bucket_layout import subjects_cache_key
from handlers.variants.subjects import Subjects, from_rekognition

MAX_SIDE = 1600  # pixels: boxes to a pixel or two of a 1080 px frame, a few hundred kB sent
MIN_SIDE = 80  # Rekognition's smallest image side
JPEG_QUALITY = 90
MAX_LABELS = 20
MIN_CONFIDENCE = 50  # percent: DetectLabels leaves out less certain labels; the subject needs more (subjects.py)
# USD per image for each call: Rekognition Image, Group 2 APIs (DetectLabels, DetectFaces), first tier, us-east-1
# (https://aws.amazon.com/rekognition/pricing/, read 2026-12-08; the figure as transcribed from its tables).
USD_PER_CALL = 0.001
CALLS = ("detect_labels", "detect_faces")
VERSION = "rekognition-1"  # part of the cache key: a change in what is asked or how it is read finds anew


@dataclass
class RekognitionSubjects:
    """A SubjectFinder (render.prepare) that asks Rekognition, through a cache in the bucket."""

    rekognition: Any
    s3: Any
    bucket: str

    def __call__(self, image: Image.Image, payer: str) -> Subjects:
        """`payer`: "<campaign>/<product index>", whose attempt pays; a retry of it finds its own cost again."""
        if min(image.size) * min(1.0, MAX_SIDE / max(image.size)) < MIN_SIDE:
            raise ValueError(f"a {image.width}x{image.height} image is under Rekognition's {MIN_SIDE} px a side")
        sent = _jpeg(image)
        key = subjects_cache_key(hashlib.sha256(VERSION.encode() + sent).hexdigest())
        cached = self._cached(key, payer)
        if cached is not None:
            return cached
        payload = {"Bytes": sent}
        labels = self.rekognition.detect_labels(
            Image=payload, MaxLabels=MAX_LABELS, MinConfidence=MIN_CONFIDENCE, Features=["GENERAL_LABELS"]
        )
        faces = self.rekognition.detect_faces(Image=payload, Attributes=["DEFAULT"])
        found = replace(from_rekognition(labels, faces, image.size), cost_usd=USD_PER_CALL * len(CALLS))
        body = json.dumps(found.to_json() | {"size": list(image.size)}).encode()
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            Metadata={"paid-by": payer, "cost-usd": f"{found.cost_usd}"},
        )
        return found

    def _cached(self, key: str, payer: str) -> Subjects | None:
        """The cached answer: free, unless this product's own earlier attempt paid for it (then its cost)."""
        # A listing, not GetObject: without an unconditional s3:ListBucket, S3 answers 403 for a missing key.
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        if not any(item["Key"] == key for item in listing.get("Contents", [])):
            return None
        cached = self.s3.get_object(Bucket=self.bucket, Key=key)
        paid = cached.get("Metadata", {})
        cost = float(paid.get("cost-usd", 0)) if paid.get("paid-by") == payer else 0.0
        return replace(Subjects.from_json(json.loads(cached["Body"].read())), cost_usd=cost)


def _jpeg(image: Image.Image) -> bytes:
    scale = min(1.0, MAX_SIDE / max(image.size))
    if scale < 1.0:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()
