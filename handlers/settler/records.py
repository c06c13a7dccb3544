"""What the settler reads (pure): Lambda's on-failure records of the functions' asynchronous invocations, and when a
campaign has stopped making progress.

An on-failure record (the body of a message in the stack's `…-failed-invocations` queue) looks like
`{"requestContext": {"condition": "RetriesExhausted" | "EventAgeExceeded", "functionArn": …,
"approximateInvokeCount": 3}, "requestPayload": <the event Lambda dropped>, "responsePayload": {"errorMessage": …}}`
(tests/fixtures/aws-events/awsdocs-lambda_async-on-failure-record.json). The dropped event is one of our
payloads (handlers/shared/payloads.py): it names the campaign and product that will now never finish.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers.shared.payloads import InvalidPayload, ProductPayload, RenderVariants

CONDITIONS = ("RetriesExhausted", "EventAgeExceeded")
NO_PROGRESS_CODE = "NoProgress"
MAX_ERROR_CHARS = 300


class NotOurRecord(ValueError):
    """A message that is not an on-failure record of one of our products: reported once, never retried."""


@dataclass(frozen=True)
class LostProduct:
    """A product whose function Lambda gave up on: it is settled `failed` with `code` and `reason`."""

    payload: ProductPayload
    code: str
    reason: str


def lost_product(body: str) -> LostProduct:
    """The product an on-failure record is about, with the reason in words; NotOurRecord when it is not ours."""
    try:
        record = json.loads(body)
    except (TypeError, json.JSONDecodeError) as error:
        raise NotOurRecord(f"the message is not JSON ({error}): {_short(body)}") from error
    context = record.get("requestContext") if isinstance(record, dict) else None
    if not isinstance(context, dict) or context.get("condition") not in CONDITIONS:
        raise NotOurRecord(
            f"the message is not a Lambda on-failure record (requestContext.condition {', '.join(CONDITIONS)}): "
            f"{_short(body)}"
        )
    try:
        payload: ProductPayload = RenderVariants.from_event(record.get("requestPayload"))
    except InvalidPayload as error:
        raise NotOurRecord(f"the dropped event is not one of the pipeline's payloads: {error}") from error
    return LostProduct(payload, str(context["condition"]), _reason(record, context))


def _reason(record: dict[str, Any], context: dict[str, Any]) -> str:
    function = str(context.get("functionArn", "")).split(":function:")[-1].split(":")[0] or "its function"
    attempts = context.get("approximateInvokeCount")
    response = record.get("responsePayload")
    error = ""
    if isinstance(response, dict) and response.get("errorMessage"):
        kind = f"{response['errorType']}: " if response.get("errorType") else ""
        error = f" The last error: {kind}{_short(str(response['errorMessage']))}"
    if context["condition"] == "EventAgeExceeded":
        ran = f" after {attempts} attempt(s)" if attempts else " before it ran"
        return f"Lambda dropped the event for {function}{ran}: it waited longer than the maximum event age.{error}"
    return f"{function} failed on every attempt ({attempts or 'all'}) and Lambda stopped retrying.{error}"


def no_progress_reason(seconds: float) -> str:
    minutes = int(seconds // 60)
    return (
        f"no progress for {minutes} minutes: its function never finished (Lambda dropped its event, or every "
        "attempt ran out of time), so it was settled by the sweep"
    )


def is_stuck(manifest: dict[str, Any], now: datetime, stuck_after_seconds: int) -> float | None:
    """Seconds since the campaign's last update when that is longer than `stuck_after_seconds`, else None."""
    updated = datetime.fromisoformat(str(manifest.get("updated_at") or manifest["created_at"]))
    idle = (now - updated).total_seconds()
    return idle if idle > stuck_after_seconds else None


def scheduled_time(event: dict[str, Any]) -> datetime | None:
    """When the schedule fired (the event's `time`), the sweep's "now"; None when the event has none."""
    try:
        return datetime.fromisoformat(str(event["time"]))
    except (KeyError, ValueError):
        return None


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."
