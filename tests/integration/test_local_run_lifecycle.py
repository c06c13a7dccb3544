"""Acceptance: no local campaign stays `processing`. An asynchronous invocation Lambda drops (retries exhausted)
reaches the settler through the failed-invocations queue and settles its product `failed` with the reason; a
product whose event vanished without a record is settled by the closing sweep; the campaign finishes and the
summary says so."""

import json
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest

from handlers.shared.manifest import ManifestStore, new_manifest
from localrun.async_invoke import AsyncInvoker
from localrun.cli import summary
from localrun.functions import Function
from localrun.lambda_context import LocalContext
from localrun.run import SAMPLE_BRIEF, RunOptions, run
from tests.aws_events import sqs_record

pytestmark = pytest.mark.slow  # whole pipeline runs

BERRY = 1  # the sample brief's product made by the image model; Citrus (0) uses an existing asset


def options(out, prepare):
    return RunOptions(briefs=[SAMPLE_BRIEF], out=out, workers=4, batching_window_seconds=0.2, prepare_function=prepare)


def test_a_dropped_invocation_settles_its_product_failed_and_the_campaign_partial(tmp_path):
    def berry_render_hangs(service, module):
        if service != "variants":
            return
        handle = module.service().handle

        def hangs_for_berry(campaign_id, index, source_key, remaining_ms=None):
            if index == BERRY:  # like a Lambda timeout: the function dies without settling its product
                raise TimeoutError("stand-in: Task timed out after 180.00 seconds")
            return handle(campaign_id, index, source_key, remaining_ms)

        module.service().handle = hangs_for_berry

    result = run(options(tmp_path / "out", berry_render_hangs))

    [manifest] = result.campaigns.values()
    citrus, berry = manifest["products"]
    assert citrus["status"] == "complete"
    assert berry["status"] == "failed"
    assert berry["error"]["code"] == "RetriesExhausted"
    assert berry["error"]["message"] == (
        "creative-automation-dev-variants failed on every attempt (3) and Lambda stopped retrying. "
        "The last error: TimeoutError: stand-in: Task timed out after 180.00 seconds"
    )
    assert manifest["status"] == "partial"
    assert len(result.failed_invocations) == 1 and not result.ok

    printed = summary(result, tmp_path / "out")
    assert "Campaigns   1 from 1 upload(s): 1 partial" in printed
    assert (
        "  ! Summer Splash 2026 / Berry Sparkling Water: failed RetriesExhausted: creative-automation-dev-variants "
        "failed on every attempt (3) and Lambda stopped retrying." in printed
    )
    assert "1 failed invocation(s)" in printed
    page = Path(result.galleries[manifest["campaign_id"]]).read_text()
    assert "Lambda stopped retrying" in page and ">partial</span>" in page


def test_a_product_whose_event_vanished_is_settled_by_the_closing_sweep(tmp_path):
    def generator_loses_its_variants_event(service, module):
        if service == "generator":
            module.service().invoke = lambda payload: None  # accepted, then lost: no on-failure record either

    result = run(options(tmp_path / "out", generator_loses_its_variants_event))

    [manifest] = result.campaigns.values()
    berry = manifest["products"][BERRY]
    assert (berry["status"], berry["error"]["code"]) == ("failed", "NoProgress")
    assert berry["error"]["message"].startswith("no progress for 74 minutes: its function never finished")
    assert manifest["status"] == "partial"
    assert result.failed_invocations == [] and result.swept == {"open": 1, "closed": 1, "settled": 1}
    printed = summary(result, tmp_path / "out")
    assert (
        "Sweep       1 campaign(s) still open when nothing was left to run: their unfinished products settled failed"
        in printed
    )


def test_an_event_too_old_to_retry_is_recorded_as_such_and_the_settler_says_so(aws_endpoint, monkeypatch):
    """The local async invoker at a maximum event age of 0 s: the first failure is already too old to retry, so
    Lambda's record says EventAgeExceeded; through the settler the product settles failed with those words."""
    bucket = "creative-automation-dev-123456789012-us-east-1"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    store = ManifestStore(s3, bucket)
    store.create(
        new_manifest(
            campaign_id="late-0a1b2c3d",
            brief={"campaign_name": "Late", "campaign_message": "Too late"},
            brief_key="input/campaign-briefs/late.json",
            products=[{"index": 0, "name": "Kiwi", "image_source": "generated", "status": "generating"}],
        )
    )

    def throttled(event, context):
        raise RuntimeError("stand-in: Rate exceeded")

    generator = Function(
        "generator",
        "creative-automation-dev-generator",
        SimpleNamespace(handler=throttled, metrics=SimpleNamespace(clear_metrics=lambda: None)),
        1024,
        120,
    )
    records = []
    invoker = AsyncInvoker(
        {"generator": generator}, workers=1, max_retry_attempts=2, max_event_age_seconds=0, on_failure=records.append
    ).start()
    try:
        invoker.transport("GENERATOR_FUNCTION", {"campaign_id": "late-0a1b2c3d", "product_index": 0, "bucket": bucket})
        assert invoker.wait_idle(30)
    finally:
        invoker.stop()
    [record] = records
    assert (record["requestContext"]["condition"], record["requestContext"]["approximateInvokeCount"]) == (
        "EventAgeExceeded",
        1,
    )

    monkeypatch.setenv("S3_BUCKET_NAME", bucket)
    monkeypatch.setenv("STUCK_AFTER_SECONDS", "4440")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CreativeAutomation/test")
    from handlers.settler import app

    monkeypatch.setattr(app, "_service", None)
    app.handler({"Records": [sqs_record(json.dumps(record))]}, LocalContext("creative-automation-dev-settler"))
    [kiwi] = store.get("late-0a1b2c3d")["products"]
    assert kiwi["status"] == "failed" and kiwi["error"]["code"] == "EventAgeExceeded"
    assert kiwi["error"]["message"] == (
        "Lambda dropped the event for creative-automation-dev-generator after 1 attempt(s): it waited longer than "
        "the maximum event age. The last error: RuntimeError: stand-in: Rate exceeded"
    )
    assert store.get("late-0a1b2c3d")["status"] == "failed"
