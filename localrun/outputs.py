"""Bringing a campaign home: its manifest, generated images, variants and gallery, into `<out>/<campaign-id>/`.

Used by the local run and by tools/submit.py (a deployed stack). The gallery in `<out>` is the same
page the bucket gets; sources outside the campaign folder (existing assets) are copied under the
campaign folder and linked from there (`root=""`), as the bucket root is not mirrored locally.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handlers.shared import gallery
from handlers.shared.bucket_layout import (
    LATEST_REPORT_FILE,
    OUTPUT_PREFIX,
    REJECTED_PREFIX,
    campaign_folder,
    campaign_of_manifest,
)
from localrun import run_index


def list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(item["Key"] for item in page.get("Contents", []))
    return keys


def read_json(s3: Any, bucket: str, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def manifests(s3: Any, bucket: str) -> dict[str, dict[str, Any]]:
    """Every campaign's manifest in the bucket, by campaign id."""
    found = {}
    for key in list_keys(s3, bucket, OUTPUT_PREFIX):
        campaign_id = campaign_of_manifest(key)
        if campaign_id is not None:
            found[campaign_id] = read_json(s3, bucket, key)
    return found


def rejection_reports(s3: Any, bucket: str) -> dict[str, dict[str, Any]]:
    """One report per rejected upload, by key (`report.json`, a copy of each brief's latest, is left out)."""
    return {
        key: read_json(s3, bucket, key)
        for key in list_keys(s3, bucket, REJECTED_PREFIX)
        if key.endswith(".json") and not key.endswith("/" + LATEST_REPORT_FILE)
    }


def download_campaign(s3: Any, bucket: str, campaign_id: str, out: Path) -> Path:
    """Download the campaign's folder and write its gallery. Returns the path of index.html."""
    folder = campaign_folder(campaign_id)
    target = out / campaign_id
    for key in list_keys(s3, bucket, folder):
        if key.endswith("/index.html"):
            continue  # written below from the manifest, with local links
        _download(s3, bucket, key, target / key[len(folder) :])
    manifest = json.loads((target / "manifest.json").read_text())
    for product in manifest.get("products", []):
        source = product.get("source_key")
        if source and not source.startswith(folder):
            _download(s3, bucket, source, target / source)
    page = target / "index.html"
    page.write_text(gallery.render(manifest, root=""), encoding="utf-8")
    return page


def download_reports(s3: Any, bucket: str, out: Path) -> None:
    """Every rejection report, each upload's and each brief's latest, into `<out>/rejected/`."""
    for key in list_keys(s3, bucket, REJECTED_PREFIX):
        download_report(s3, bucket, key, out)


def download_report(s3: Any, bucket: str, key: str, out: Path) -> Path:
    path = out / key.removeprefix(OUTPUT_PREFIX)
    _download(s3, bucket, key, path)
    return path


def _download(s3: Any, bucket: str, key: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


LATEST = "latest"


def point_latest(
    out: Path, campaigns: dict[str, dict[str, Any]], rejections: dict[str, dict[str, Any]], summary: str
) -> Path:
    """`<out>/latest/`: a link to each campaign folder of the newest run, that run's summary, and index.html, a
    page listing them (localrun/run_index.py). Rebuilt on every run; only the links, summary.txt and index.html
    in it are removed, nothing else the folder may hold."""
    latest = out / LATEST
    latest.mkdir(parents=True, exist_ok=True)
    for entry in latest.iterdir():
        if entry.is_symlink() or entry.name in ("summary.txt", "index.html"):
            entry.unlink()
    for campaign_id in sorted(campaigns):
        (latest / campaign_id).symlink_to(Path("..") / campaign_id, target_is_directory=True)
    (latest / "summary.txt").write_text(summary.strip() + "\n", encoding="utf-8")
    finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    (latest / "index.html").write_text(run_index.render(campaigns, rejections, finished_at), encoding="utf-8")
    return latest
