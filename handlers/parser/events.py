"""S3 notifications inside SQS messages (pure): which uploads a message announces, and which to skip."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote_plus


class NotAnS3Notification(ValueError):
    """The message body is not an S3 event notification: the record fails (and ends in the DLQ)."""


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str  # decoded: S3 sends keys URL-encoded, with '+' for spaces
    version_id: str | None
    etag: str | None
    size: int | None
    sequencer: str | None
    event_time: str | None = None  # when S3 took the upload (ISO 8601), the same in every redelivery

    @property
    def identity(self) -> str:
        """What makes this upload this upload: a new upload of the same key gets a new version (or etag)."""
        return f"{self.bucket}/{self.key}#{self.version_id or self.etag or self.sequencer or ''}"


@dataclass(frozen=True)
class Notification:
    uploads: list[Upload]
    skipped: list[str]  # why events in the message were not processed (test event, deletions, ...)


def parse_body(body: str) -> Notification:
    try:
        message = json.loads(body)
    except (TypeError, json.JSONDecodeError) as error:
        raise NotAnS3Notification(f"message body is not JSON ({error}): {body[:120]!r}") from error
    if not isinstance(message, dict):
        raise NotAnS3Notification(f"message body is JSON but not an object: {body[:120]!r}")
    if message.get("Event") == "s3:TestEvent":
        return Notification([], ["s3:TestEvent (sent by S3 when the notification is configured)"])
    records = message.get("Records")
    if not isinstance(records, list):
        raise NotAnS3Notification(f"message body has no S3 'Records' list: {body[:120]!r}")

    uploads, skipped = [], []
    for record in records:
        name = str(record.get("eventName", ""))
        if record.get("eventSource") != "aws:s3" or not name.startswith("ObjectCreated:"):
            skipped.append(f"{record.get('eventSource')} {name or 'event'} is not an object upload")
            continue
        s3 = record.get("s3") or {}
        try:
            obj, bucket = s3["object"], s3["bucket"]["name"]
            key = unquote_plus(obj["key"], encoding="utf-8", errors="strict")
        except (KeyError, TypeError, UnicodeDecodeError) as error:
            raise NotAnS3Notification(f"{name} record lacks bucket or key: {error!r}") from error
        uploads.append(
            Upload(
                bucket=bucket,
                key=key,
                version_id=obj.get("versionId") or None,
                etag=(obj.get("eTag") or "").strip('"') or None,
                size=obj.get("size"),
                sequencer=obj.get("sequencer"),
                event_time=record.get("eventTime") or None,
            )
        )
    return Notification(uploads, skipped)
