"""Cancelling a campaign (a manifest mutation for `ManifestStore.update`).

Minimal stand-in written on the `api` branch with the shared design's signature and meaning; the lifecycle
branch owns this module (its version wins at merge) and teaches the functions and `settle()` to honour it.
"""

from __future__ import annotations

from typing import Any

from handlers.shared.manifest import now_iso


def request_cancel(manifest: dict[str, Any]) -> None:
    """Record the request once and cancel every product not yet started; products being generated or rendered
    stay as they are (their function finishes or skips them)."""
    manifest.setdefault("cancel_requested_at", now_iso())
    for product in manifest["products"]:
        if product["status"] == "pending":
            product["status"] = "cancelled"
