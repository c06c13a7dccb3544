"""What a request may hold (pure), checked before any AWS call: ids, body sizes, paging, cursors, versions.

Every refusal is an `ApiError`: an HTTP status, a code a program can branch on, and a message a person can act
on (the field, the value shortened, what was expected).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from handlers.parser.wording import shorten
from handlers.shared.campaign_table import CAMPAIGN_ID, CREATED_AT, OWNER
from handlers.shared.manifest import SETTLED_CAMPAIGN

# What handlers.parser.campaign.campaign_id makes: slug words (at most 40 characters) and 8 hex digits.
CAMPAIGN_ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{8}")
MAX_CAMPAIGN_ID = 49
DEFAULT_LIMIT, MAX_LIMIT = 20, 50
MAX_CURSOR_CHARS = 1024
MAX_RERENDER_BODY_BYTES = 1024
# A Docker image tag, as ECR accepts it.
VERSION_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
# The index's statuses: queued (no manifest yet), the manifest's own, rejected (the parser refused the brief).
CAMPAIGN_STATUSES = ("queued", "processing", *SETTLED_CAMPAIGN, "rejected")
DEFAULT_VERSION = "latest"


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)  # more to act on: violations, versions that exist

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "code": self.code, **self.details}


def campaign_id(value: str) -> str:
    if len(value) <= MAX_CAMPAIGN_ID and CAMPAIGN_ID_PATTERN.fullmatch(value):
        return value
    raise ApiError(
        400,
        "BadCampaignId",
        f"campaign id {shorten(value, 60)!r} is not one this API gives: expected lower-case words joined by '-' "
        f"and ending in 8 hex digits, at most {MAX_CAMPAIGN_ID} characters, like summer-splash-2026-1a2b3c4d "
        "(the campaign_id of the submit answer)",
    )


def body_within(body: bytes, limit: int, what: str) -> bytes:
    if len(body) > limit:
        raise ApiError(
            413,
            "BodyTooLarge",
            f"the {what} is {len(body):,} bytes: at most {limit:,} bytes are accepted",
        )
    return body


def limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if value.isdigit() and 1 <= int(value) <= MAX_LIMIT:
        return int(value)
    raise ApiError(
        400, "BadLimit", f"limit {shorten(value, 20)!r}: expected a whole number from 1 to {MAX_LIMIT} (default 20)"
    )


def status_filter(value: str | None) -> str | None:
    if value is None or value in CAMPAIGN_STATUSES:
        return value
    raise ApiError(400, "BadStatus", f"status {shorten(value, 30)!r}: expected one of {', '.join(CAMPAIGN_STATUSES)}")


def flag(name: str, value: str | None) -> bool:
    if value is None or value.lower() in ("false", "0", ""):
        return False
    if value.lower() in ("true", "1"):
        return True
    raise ApiError(400, "BadFlag", f"{name} {shorten(value, 20)!r}: expected true or false")


def encode_cursor(last_key: dict[str, Any]) -> str:
    """DynamoDB's LastEvaluatedKey (attribute values) as an opaque URL-safe text."""
    plain = {name: last_key[name]["S"] for name in (OWNER, CAMPAIGN_ID, CREATED_AT)}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, owner: str) -> dict[str, Any]:
    """The ExclusiveStartKey a cursor stands for. Anything else (garbled, edited, another team's) is refused."""
    refused = ApiError(
        400,
        "BadCursor",
        f"cursor {shorten(cursor, 40)!r} is not one this listing returned: pass next_cursor from the previous "
        "page unchanged, or leave cursor out to start from the newest campaign",
    )
    if len(cursor) > MAX_CURSOR_CHARS:
        raise refused
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise refused from error
    if (
        not isinstance(plain, dict)
        or set(plain) != {OWNER, CAMPAIGN_ID, CREATED_AT}
        or plain[OWNER] != owner
        or not isinstance(plain[CAMPAIGN_ID], str)
        or not CAMPAIGN_ID_PATTERN.fullmatch(plain[CAMPAIGN_ID])
        or not isinstance(plain[CREATED_AT], str)
        or not TIMESTAMP.fullmatch(plain[CREATED_AT])
    ):
        raise refused
    return {name: {"S": value} for name, value in plain.items()}


def rerender_version(body: bytes) -> str:
    """The version a re-render asks for: `{"version": "v1.2.0"}`, or `latest` for an empty body."""
    body_within(body, MAX_RERENDER_BODY_BYTES, "re-render request body")
    if not body.strip():
        return DEFAULT_VERSION
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError(
            400, "BadBody", f'the body is not JSON ({error}): expected {{"version": "v1.2.0"}} or no body'
        ) from error
    if not isinstance(request, dict) or set(request) - {"version"}:
        raise ApiError(
            400,
            "BadBody",
            f'the body {shorten(request, 60)!r} is not {{"version": "<tag>"}}: only the field "version" is read',
        )
    version = request.get("version", DEFAULT_VERSION)
    if not isinstance(version, str) or not VERSION_PATTERN.fullmatch(version):
        raise ApiError(
            400,
            "BadVersion",
            f"version {shorten(version, 60)!r}: expected an image tag (letters, digits, '.', '_', '-'; at most "
            "128 characters) such as v1.2.0 or latest; GET /versions lists them",
        )
    return version
