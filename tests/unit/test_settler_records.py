"""The settler's pure part: which product an on-failure record is about and why, in words; when a campaign has
made no progress for too long; its environment."""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from handlers.settler import records
from handlers.settler.records import NotOurRecord, is_stuck, lost_product, no_progress_reason
from handlers.shared.environment import MisconfiguredFunction, SettlerEnvironment
from tests.aws_events import fixture

DOCS_RECORD = "awsdocs-lambda_async-on-failure-record.json"
PAYLOAD = {"campaign_id": "spring-0a1b2c3d", "product_index": 2, "bucket": "b"}


def ours(condition="RetriesExhausted", **changes) -> str:
    """The AWS docs' record with one of our payloads as the dropped event (as Lambda would send for ours)."""
    record = copy.deepcopy(fixture(DOCS_RECORD))
    record["requestContext"]["condition"] = condition
    record["requestContext"]["functionArn"] = (
        "arn:aws:lambda:us-east-1:123456789012:function:creative-automation-dev-variants:$LATEST"
    )
    record["requestPayload"] = PAYLOAD
    record.update(changes)
    return json.dumps(record)


def test_the_aws_docs_record_is_recognised_as_an_on_failure_record_that_is_not_ours():
    with pytest.raises(NotOurRecord) as refused:
        lost_product(json.dumps(fixture(DOCS_RECORD)))
    assert "the dropped event is not one of the pipeline's payloads: campaign_id is missing" in str(refused.value)


def test_retries_exhausted_names_the_function_the_attempts_and_the_last_error():
    lost = lost_product(ours())
    assert (lost.payload.campaign_id, lost.payload.product_index, lost.payload.bucket) == ("spring-0a1b2c3d", 2, "b")
    assert lost.code == "RetriesExhausted"
    assert lost.reason == (
        "creative-automation-dev-variants failed on every attempt (3) and Lambda stopped retrying. The last error: "
        "RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process exited before completing request"
    )


def test_an_event_too_old_says_lambda_dropped_it():
    record = json.loads(ours("EventAgeExceeded"))
    record["requestContext"]["approximateInvokeCount"] = 0
    record.pop("responsePayload")
    lost = lost_product(json.dumps(record))
    assert lost.code == "EventAgeExceeded"
    assert lost.reason == (
        "Lambda dropped the event for creative-automation-dev-variants before it ran: it waited longer than the "
        "maximum event age."
    )


@pytest.mark.parametrize(
    "body, words",
    [
        ("not json", "the message is not JSON"),
        (json.dumps({"Records": []}), "not a Lambda on-failure record"),
        (json.dumps({"requestContext": {"condition": "Success"}}), "not a Lambda on-failure record"),
        (ours(requestPayload={"campaign_id": "x", "product_index": 1, "bucket": "b"}), "campaign_id is 'x'"),
    ],
)
def test_a_message_that_is_not_ours_is_refused_saying_what_it_is(body, words):
    with pytest.raises(NotOurRecord, match=words):
        lost_product(body)


def test_a_campaign_is_stuck_only_after_the_time_its_functions_can_take():
    now = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    manifest = {"created_at": "2026-12-02T02:00:00.000Z", "updated_at": "2026-12-02T03:00:00.000Z"}
    assert is_stuck(manifest, now, stuck_after_seconds=3600) is None
    assert is_stuck(manifest, now + timedelta(seconds=1), stuck_after_seconds=3600) == 3601
    assert no_progress_reason(3601).startswith("no progress for 60 minutes: its function never finished")


def test_the_settler_environment_names_what_is_missing_and_the_index_is_optional():
    assert SettlerEnvironment.read({"S3_BUCKET_NAME": "b", "STUCK_AFTER_SECONDS": "11100"}) == SettlerEnvironment(
        "b", 11100, None
    )
    assert (
        SettlerEnvironment.read(
            {"S3_BUCKET_NAME": "b", "STUCK_AFTER_SECONDS": "60", "CAMPAIGN_TABLE": "t"}
        ).campaign_table
        == "t"
    )
    with pytest.raises(MisconfiguredFunction, match="STUCK_AFTER_SECONDS is 'soon': expected a whole number"):
        SettlerEnvironment.read({"S3_BUCKET_NAME": "b", "STUCK_AFTER_SECONDS": "soon"})


def test_a_failed_rerender_job_in_words():
    event = fixture("batchdoc_job-state-change-failed.json")
    failed = records.failed_rerender(event)
    assert failed.campaign_id == "summer-splash-20260101T000000Z-1a2b3c4d"
    assert failed.job_id == "4c7599ae-0a82-49aa-ba5a-4727fcce14a8"
    assert failed.reason == (
        "The re-render job rerender-summer-splash-20260101T000000Z-1a2b3c4d (4c7599ae-0a82-49aa-ba5a-4727fcce14a8) "
        "failed after 1 attempt(s). AWS Batch: Task failed to start. last attempt: CannotPullContainerError: pull "
        "image manifest has been retried 1 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws"
        ".com/creative-automation-prod-batch-worker@sha256:1111111111111111111111111111111111111111111111111111111111"
        "111111: not found"
    )


def test_a_worker_exit_code_is_named():
    event = copy.deepcopy(fixture("batchdoc_job-state-change-failed.json"))
    event["detail"]["statusReason"] = "Essential container in task exited"
    event["detail"]["attempts"][0]["container"] = {"exitCode": 3, "reason": None}
    event["detail"]["attempts"][0]["statusReason"] = "Essential container in task exited"
    reason = records.failed_rerender(event).reason
    assert reason.endswith("exit code 3: the campaign has no manifest")


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(status="SUCCEEDED"),
        lambda d: d.update(parameters={}),
        lambda d: d.update(parameters={"campaign_id": "none"}),  # the job definition's default: no campaign
        lambda d: d.pop("jobId"),
    ],
    ids=["succeeded", "no campaign", "default parameter", "no job id"],
)
def test_what_is_no_failed_rerender_is_not_ours(change):
    event = copy.deepcopy(fixture("batchdoc_job-state-change-failed.json"))
    change(event["detail"])
    with pytest.raises(records.NotOurRecord):
        records.failed_rerender(event)
    with pytest.raises(records.NotOurRecord):
        records.failed_rerender(fixture("batchdoc_job-state-change-runnable.json"))
