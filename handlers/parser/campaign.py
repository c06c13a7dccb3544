"""Campaign identity and product routing (pure)."""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath

from handlers.shared.bucket_layout import slug

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
SUPPORTED_WORDS = "PNG, JPEG or WebP"
MAX_NEAR_MISSES = 3  # shown in a reason; more would make it unreadable


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


def near_misses(asset: str, keys: list[str]) -> list[tuple[str, str]]:
    """Keys a person probably meant by `asset` that the pipeline cannot use, each with how it differs:
    a format the pipeline does not read, another letter case, or spaces at a name's start or end."""
    folder = asset if asset.endswith("/") else asset + "/"

    def loose(key: str) -> str:
        return "/".join(part.strip() for part in key.casefold().split("/"))

    found = []
    for key in sorted(keys):
        exact = key == asset or key.startswith(folder)
        if key.endswith("/") or not (exact or loose(key) == loose(asset) or loose(key).startswith(loose(folder))):
            continue
        image = key.lower().endswith(IMAGE_SUFFIXES)
        if image and exact:
            continue  # usable: pick_asset would have taken it
        suffix = PurePosixPath(key).suffix.lstrip(".").upper()
        unreadable = [] if image else [f"a {suffix} file, not {SUPPORTED_WORDS}" if suffix else "no file extension"]
        found.append((key, "; ".join(unreadable + ([] if exact else [" and ".join(_differences(asset, key))]))))
    return found[:MAX_NEAR_MISSES]


def _differences(asset: str, key: str) -> list[str]:
    case = spaces = False
    for asked, stored in zip(asset.rstrip("/").split("/"), key.split("/"), strict=False):
        if asked != stored:
            case = case or asked.strip() != stored.strip()
            spaces = spaces or asked.strip() != asked or stored.strip() != stored
    return [word for word, differs in (("other letter case", case), ("spaces around a name", spaces)) if differs]


def missing_asset_reason(requested: str, asset: str, misses: list[tuple[str, str]]) -> str:
    """Why a product has no image: what the brief asked, what is there, and what to do."""
    there = "found " + ", ".join(f"{_quoted(key)} ({why})" for key, why in misses) if misses else "nothing is there"
    return (
        f"existing_assets {_quoted(requested)}: no {SUPPORTED_WORDS} image under {_quoted(asset)}; {there}. "
        'Upload one there or correct existing_assets; or add "on_missing_asset": "generate" to the brief'
    )


def _quoted(key: str, limit: int = 80) -> str:
    """A key in double quotes, so spaces at its ends show; cut to `limit` characters."""
    return json.dumps(key if len(key) <= limit else key[: limit - 1] + "…", ensure_ascii=False)
