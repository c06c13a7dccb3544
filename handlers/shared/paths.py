"""Where a campaign's files live in the bucket (CONTRACT §3)."""

from __future__ import annotations

import re
import unicodedata


def product_slug(index: int, name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].rstrip("-")
    return f"{index:02d}-{words or 'product'}"


def generated_key(campaign_id: str, index: int, name: str) -> str:
    return f"output/{campaign_id}/generated/{product_slug(index, name)}.png"


def variant_key(campaign_id: str, index: int, name: str, variant: str, locale: str | None = None) -> str:
    """A plain-string message keeps `variants/<product>/<size>.jpg`; a localized one adds the locale folder."""
    folder = f"{product_slug(index, name)}/{locale}" if locale else product_slug(index, name)
    return f"output/{campaign_id}/variants/{folder}/{variant}.jpg"


def gallery_key(campaign_id: str) -> str:
    return f"output/{campaign_id}/index.html"


def image_cache_key(fingerprint: str) -> str:
    """Content-addressed store of generated images, shared by all campaigns (see generator/cache.py)."""
    return f"output/_image-cache/{fingerprint[:2]}/{fingerprint}.png"
