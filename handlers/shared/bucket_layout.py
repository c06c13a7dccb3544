"""The bucket's layout (CONTRACT §3): every prefix and key, stated once for the functions, the stack, the local
run and the tools.

```
input/campaign-briefs/<file>.json          briefs (the notification watches input/)
existing-assets/<path>                     reusable product images
output/<campaign-id>/manifest.json         the campaign's state
output/<campaign-id>/generated/<slug>.png  images made by the image model
output/<campaign-id>/variants/<slug>/<variant>.jpg
output/<campaign-id>/index.html            the campaign's gallery
output/rejected/<brief stem>/report.json   why a brief was refused (the latest upload; each upload's own
                                           report beside it: <upload time>-<version>.json)
output/_image-cache/<fp[:2]>/<fp>.png      generated images by content fingerprint, shared by campaigns
output/_open/<campaign-id>                 an empty marker while the campaign runs (the settler's sweep list)
output/_shared/<campaign-id>/<page>.html   a gallery page the campaign API handed out, its links presigned;
                                           short-lived (the bucket expires them after a day)
```
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from anyascii import anyascii

INPUT_PREFIX = "input/"
BRIEFS_PREFIX = f"{INPUT_PREFIX}campaign-briefs/"  # where the tools and the local run upload briefs
API_BRIEFS_PREFIX = f"{BRIEFS_PREFIX}api/"  # briefs the campaign API stores: api/<owner slug>/<uuid>.json
ASSETS_PREFIX = "existing-assets/"
OUTPUT_PREFIX = "output/"
REJECTED_PREFIX = f"{OUTPUT_PREFIX}rejected/"
IMAGE_CACHE_PREFIX = f"{OUTPUT_PREFIX}_image-cache/"
OPEN_PREFIX = f"{OUTPUT_PREFIX}_open/"
SHARED_PAGES_PREFIX = f"{OUTPUT_PREFIX}_shared/"
# Folders under output/ that are not campaigns.
NOT_CAMPAIGNS = frozenset(
    prefix.removeprefix(OUTPUT_PREFIX).rstrip("/")
    for prefix in (REJECTED_PREFIX, IMAGE_CACHE_PREFIX, OPEN_PREFIX, SHARED_PAGES_PREFIX)
)
MANIFEST_FILE = "manifest.json"
GALLERY_FILE = "index.html"
LATEST_REPORT_FILE = "report.json"


def slug(text: str, fallback: str, limit: int = 40) -> str:
    """Lower-case ASCII words joined by '-', at most `limit` characters; `fallback` when nothing is left.

    A letter or digit with an ASCII base keeps it, accents dropped ("Crème" -> "creme", as ever); one without
    (Arabic, Japanese, Thai, Devanagari, "ß") is transliterated by anyascii ("抹茶" -> "mocha", "ชา" -> "cha"),
    so names in any script keep a readable form (CONTRACT §3). Other characters are dropped, as ever."""
    pieces = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        if decomposed:
            pieces.append(decomposed)
        elif unicodedata.category(char)[0] in "LMN":  # letters, marks (vowel signs), digits
            pieces.append(anyascii(char))
    words = re.sub(r"[^a-z0-9]+", "-", "".join(pieces).lower()).strip("-")
    return words[:limit].rstrip("-") or fallback


def product_slug(index: int, name: str) -> str:
    return f"{index:02d}-{slug(name, 'product')}"


def campaign_folder(campaign_id: str) -> str:
    return f"{OUTPUT_PREFIX}{campaign_id}/"


def manifest_key(campaign_id: str) -> str:
    return campaign_folder(campaign_id) + MANIFEST_FILE


def gallery_key(campaign_id: str) -> str:
    return campaign_folder(campaign_id) + GALLERY_FILE


def shared_gallery_key(campaign_id: str, page_id: str) -> str:
    """A campaign's gallery as the API hands it to one caller: every link in it presigned, so a browser can open
    the images of a private bucket. One page per request: its links expire with it."""
    return f"{SHARED_PAGES_PREFIX}{campaign_id}/{page_id}.html"


def generated_key(campaign_id: str, index: int, name: str) -> str:
    return f"{campaign_folder(campaign_id)}generated/{product_slug(index, name)}.png"


def variant_key(campaign_id: str, index: int, name: str, variant: str, locale: str | None = None) -> str:
    """A plain-string message keeps `variants/<product>/<size>.jpg`; a localized one adds the locale folder."""
    folder = f"{product_slug(index, name)}/{locale}" if locale else product_slug(index, name)
    return f"{campaign_folder(campaign_id)}variants/{folder}/{variant}.jpg"


def image_cache_key(fingerprint: str) -> str:
    """Content-addressed store of generated images, shared by all campaigns."""
    return f"{IMAGE_CACHE_PREFIX}{fingerprint[:2]}/{fingerprint}.png"


def subjects_cache_key(fingerprint: str) -> str:
    """What a detector found in a source image (JSON), by the image's content: found and paid for once."""
    return f"{IMAGE_CACHE_PREFIX}{fingerprint[:2]}/{fingerprint}.subjects.json"


def open_marker_key(campaign_id: str) -> str:
    """Written by the parser when it creates a campaign, deleted by the settler's sweep once it settled: the
    sweep lists these few keys, never the whole output/ prefix."""
    return f"{OPEN_PREFIX}{campaign_id}"


def campaign_of_open_marker(key: str) -> str | None:
    """The campaign id an `output/_open/<campaign-id>` marker names, else None."""
    name = key.removeprefix(OPEN_PREFIX)
    return name if key.startswith(OPEN_PREFIX) and name and "/" not in name else None


def brief_stem(brief_key: str) -> str:
    return PurePosixPath(brief_key).stem or "brief"


def rejection_report_key(brief_key: str) -> str:
    """The latest report for a brief file (CONTRACT §3); each upload's own report sits beside it."""
    return f"{REJECTED_PREFIX}{brief_stem(brief_key)}/{LATEST_REPORT_FILE}"


def upload_rejection_report_key(brief_key: str, upload_stamp: str, upload_tag: str) -> str:
    """One upload's report: `<upload time>-<version id or etag>.json`, so a listing is oldest first."""
    return f"{REJECTED_PREFIX}{brief_stem(brief_key)}/{upload_stamp}-{upload_tag}.json"


def campaign_of_manifest(key: str) -> str | None:
    """The campaign id when `key` is a campaign's manifest (`output/<id>/manifest.json`), else None."""
    parts = key.split("/")
    if len(parts) == 3 and f"{parts[0]}/" == OUTPUT_PREFIX and parts[2] == MANIFEST_FILE:
        return None if parts[1] in NOT_CAMPAIGNS else parts[1]
    return None
