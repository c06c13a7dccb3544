"""Campaign identity and product routing (pure)."""

from __future__ import annotations

import hashlib

from handlers.shared.bucket_layout import slug

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def campaign_id(campaign_name: str, upload_identity: str) -> str:
    """Readable and stable per upload: `summer-splash-2026-1a2b3c4d`. The same upload delivered again gets
    the same id; a new upload of the same key (a new version or etag) gets a new one."""
    return f"{slug(campaign_name, 'campaign')}-{hashlib.sha256(upload_identity.encode()).hexdigest()[:8]}"


def pick_asset(asset: str, keys: list[str]) -> str | None:
    """The existing asset a brief's `existing_assets` means, among the keys listed under it.

    A key names itself; a folder means its product.png, else the first image in it (by key order)."""
    images = sorted(k for k in keys if k.lower().endswith(IMAGE_SUFFIXES))
    if not asset.endswith("/") and asset in images:
        return asset
    folder = asset if asset.endswith("/") else asset + "/"
    inside = [k for k in images if k.startswith(folder)]
    for key in inside:
        if key == folder + "product.png":
            return key
    return inside[0] if inside else None
