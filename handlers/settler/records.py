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
from handlers.shared.worker_exit_codes import MISSING_CAMPAIGN, USAGE

CONDITIONS = ("RetriesExhausted", "EventAgeExceeded")
NO_PROGRESS_CODE = "NoProgress"
RERENDER_FAILED_CODE = "RerenderFailed"
# What the Batch worker's exit codes that no retry can fix mean (handlers/batch_worker/exit_codes.py).
WORKER_EXITS = {USAGE: "the job was given no campaign id", MISSING_CAMPAIGN: "the campaign has no manifest"}
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


@dataclass(frozen=True)
class FailedRerender:
    """A re-render job that ended FAILED: its campaign's re-render is settled `failed` with `reason`."""

    campaign_id: str
    job_id: str
    job_definition: str
    reason: str


def failed_rerender(event: dict[str, Any]) -> FailedRerender:
    """The re-render an AWS Batch "Batch Job State Change" event reports failed, with the reason in words;
    NotOurRecord when it is no failed re-render job (tests/fixtures/aws-events/batchdoc_*.json)."""
    detail: dict[str, Any] = event["detail"] if isinstance(event.get("detail"), dict) else {}
    parameters = detail.get("parameters") if isinstance(detail.get("parameters"), dict) else {}
    campaign_id = parameters.get("campaign_id") if parameters else None
    if detail.get("status") != "FAILED" or not campaign_id or campaign_id == "none" or not detail.get("jobId"):
        raise NotOurRecord(f"not a failed re-render job: {_short(json.dumps(detail))}")
    attempts = detail.get("attempts") or []
    last = attempts[-1] if attempts else {}
    container = last.get("container") or {}
    ran = f"after {len(attempts)} attempt(s)" if attempts else "before any attempt ran"
    words = [f"The re-render job {detail.get('jobName', '')} ({detail['jobId']}) failed {ran}"]
    if detail.get("statusReason"):
        words.append(f"AWS Batch: {_short(str(detail['statusReason']))}")
    if container.get("reason") or last.get("statusReason"):
        words.append(f"last attempt: {_short(str(container.get('reason') or last.get('statusReason')))}")
    code = container.get("exitCode")
    if code is not None:
        words.append(f"exit code {code}: {WORKER_EXITS.get(code, 'the worker failed (its log has the error)')}")
    return FailedRerender(campaign_id, str(detail["jobId"]), str(detail.get("jobDefinition", "")), ". ".join(words))


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
