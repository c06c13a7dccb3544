"""The settler function against moto S3, through its handler, with the real event shapes: Lambda's on-failure
records inside SQS messages (partial batch response) and the EventBridge schedule (the sweep)."""

import copy
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from handlers.shared.manifest import ManifestStore, new_manifest
from localrun.lambda_context import LocalContext
from tests.aws_events import fixture, sqs_record

BUCKET = "creative-automation-dev-123456789012-us-east-1"
CONTEXT = LocalContext("creative-automation-dev-settler")
STUCK_AFTER = 3 * 3600


def long_ago() -> str:
    """Ten minutes past the stuck window before now: 190 minutes without a manifest write."""
    return (datetime.now(UTC) - timedelta(seconds=STUCK_AFTER + 600)).isoformat(timespec="milliseconds")


@pytest.fixture
def settler(aws_endpoint, monkeypatch):
    monkeypatch.setenv("S3_BUCKET_NAME", BUCKET)
    monkeypatch.setenv("STUCK_AFTER_SECONDS", str(STUCK_AFTER))
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CreativeAutomation/test")
    monkeypatch.delenv("CAMPAIGN_TABLE", raising=False)
    from handlers.settler import app

    monkeypatch.setattr(app, "_service", None)  # a new container: reads the environment, makes its clients
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    app.s3, app.store = s3, ManifestStore(s3, BUCKET)
    return app


def campaign(store, campaign_id, statuses, updated_at=None):
    manifest = new_manifest(
        campaign_id=campaign_id,
        brief={"campaign_name": campaign_id.rsplit("-", 1)[0].title(), "campaign_message": "Hello"},
        brief_key=f"input/campaign-briefs/{campaign_id}.json",
        products=[
            {"index": i, "name": f"Product {i}", "image_source": "generated", "status": status}
            for i, status in enumerate(statuses)
        ],
    )
    if updated_at:
        manifest["created_at"] = manifest["updated_at"] = updated_at.replace("+00:00", "Z")
    store.create(manifest)
    store.s3.put_object(Bucket=BUCKET, Key=f"output/_open/{campaign_id}", Body=b"")


def on_failure_body(campaign_id, index, condition="RetriesExhausted", function="generator"):
    """The AWS docs' on-failure record, carrying one of our payloads as the event Lambda dropped."""
    record = copy.deepcopy(fixture("awsdocs-lambda_async-on-failure-record.json"))
    record["requestContext"]["condition"] = condition
    record["requestContext"]["functionArn"] = f"arn:aws:lambda:us-east-1:1:function:creative-automation-dev-{function}"
    record["requestPayload"] = {"campaign_id": campaign_id, "product_index": index, "bucket": BUCKET}
    return json.dumps(record)


def products(store, campaign_id):
    return [(p["status"], (p["error"] or {}).get("code")) for p in store.get(campaign_id)["products"]]


def test_a_dropped_invocation_settles_its_product_failed_with_the_reason_and_finishes_the_campaign(settler):
    campaign(settler.store, "spring-0a1b2c3d", ["complete", "generating"])
    response = settler.handler({"Records": [sqs_record(on_failure_body("spring-0a1b2c3d", 1))]}, CONTEXT)

    assert response == {"batchItemFailures": []}
    manifest = settler.store.get("spring-0a1b2c3d")
    assert products(settler.store, "spring-0a1b2c3d") == [("complete", None), ("failed", "RetriesExhausted")]
    assert manifest["products"][1]["error"]["message"].startswith(
        "creative-automation-dev-generator failed on every attempt (3) and Lambda stopped retrying."
    )
    assert manifest["status"] == "partial"
    page = settler.s3.get_object(Bucket=BUCKET, Key="output/spring-0a1b2c3d/index.html")["Body"].read().decode()
    assert "Lambda stopped retrying" in page, "the settling write publishes the gallery with the reason"


def test_a_record_for_a_product_that_settled_meanwhile_changes_nothing(settler):
    campaign(settler.store, "spring-0a1b2c3d", ["complete", "failed"])
    before = settler.store.get("spring-0a1b2c3d")
    settler.handler({"Records": [sqs_record(on_failure_body("spring-0a1b2c3d", 1, "EventAgeExceeded"))]}, CONTEXT)
    assert settler.store.get("spring-0a1b2c3d") == before


def test_a_bad_record_is_acknowledged_and_a_transient_failure_fails_only_its_own_record(settler, monkeypatch):
    campaign(settler.store, "good-0a1b2c3d", ["generating"])
    campaign(settler.store, "flaky-0a1b2c3d", ["rendering"])
    service = settler.service()
    update = service.store.update

    def unavailable_for_flaky(campaign_id, mutate):
        if campaign_id.startswith("flaky"):
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}}, "PutObject"
            )
        return update(campaign_id, mutate)

    monkeypatch.setattr(service.store, "update", unavailable_for_flaky)
    records = [
        sqs_record(json.dumps(fixture("awsdocs-lambda_async-on-failure-record.json"))),  # not one of ours
        sqs_record(on_failure_body("flaky-0a1b2c3d", 0, function="variants")),
        sqs_record(on_failure_body("good-0a1b2c3d", 0)),
        sqs_record(on_failure_body("gone-0a1b2c3d", 0)),  # a campaign without a manifest: reported, not retried
    ]
    response = settler.handler({"Records": records}, CONTEXT)

    assert response == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}
    assert products(settler.store, "good-0a1b2c3d") == [("failed", "RetriesExhausted")]
    assert products(settler.store, "flaky-0a1b2c3d") == [("rendering", None)]


def test_the_scheduled_sweep_fails_products_without_progress_and_closes_settled_campaigns(settler):
    campaign(settler.store, "stuck-0a1b2c3d", ["complete", "generating", "rendering"], updated_at=long_ago())
    campaign(settler.store, "busy-0a1b2c3d", ["generating"])
    campaign(settler.store, "done-0a1b2c3d", ["complete"])
    settler.s3.put_object(Bucket=BUCKET, Key="output/_open/orphan-0a1b2c3d", Body=b"")  # no manifest

    # The docs' event as the schedule fires it now (the sweep judges by the schedule's time).
    fired_now = {**fixture("awsdocs-lambda_scheduled-event.json"), "time": datetime.now(UTC).isoformat()}
    answer = settler.handler(fired_now, CONTEXT)

    assert answer == {"open": 4, "closed": 3, "settled": 1}
    stuck = settler.store.get("stuck-0a1b2c3d")
    assert [p["status"] for p in stuck["products"]] == ["complete", "failed", "failed"]
    assert stuck["products"][1]["error"]["code"] == "NoProgress"
    assert stuck["products"][1]["error"]["message"].startswith("no progress for 190 minutes")
    assert stuck["status"] == "partial"
    assert settler.store.get("busy-0a1b2c3d")["status"] == "processing", "within the time its functions may take"
    markers = [o["Key"] for o in settler.s3.list_objects_v2(Bucket=BUCKET, Prefix="output/_open/")["Contents"]]
    assert markers == ["output/_open/busy-0a1b2c3d"]


def test_an_event_of_another_kind_is_ignored_not_failed(settler):
    assert settler.handler(fixture("powertools_eventBridgeEvent.json"), CONTEXT) == {"ignored": True}


def test_the_sweep_judges_by_the_time_the_schedule_fired(settler):
    campaign(settler.store, "stuck-0a1b2c3d", ["generating"], updated_at=long_ago())
    fired_long_ago = fixture("awsdocs-lambda_scheduled-event.json")  # 2019: the campaign had not even started
    assert settler.handler(fired_long_ago, CONTEXT) == {"open": 1, "closed": 0, "settled": 0}
    assert settler.store.get("stuck-0a1b2c3d")["status"] == "processing"


def test_every_dashboard_series_of_the_settler_is_fed_by_what_it_prints(settler, capsys, monkeypatch):
    """The metrics contract: the settler's EMF lines against the dashboard's settler series."""
    from handlers.shared.lifecycle import request_cancel
    from tests import emf
    from tests.dashboard_view import pipeline_series

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    campaign(settler.store, "half-0a1b2c3d", ["complete", "generating"])
    campaign(settler.store, "lost-0a1b2c3d", ["rendering"])
    campaign(settler.store, "stopped-0a1b2c3d", ["complete", "rendering"])
    settler.store.update("stopped-0a1b2c3d", request_cancel)
    capsys.readouterr()
    bodies = [on_failure_body(cid, index) for cid, index in (("half-0a1b2c3d", 1), ("lost-0a1b2c3d", 0))]
    settler.handler({"Records": [sqs_record(body) for body in bodies]}, CONTEXT)
    settler.handler({"Records": [sqs_record(on_failure_body("stopped-0a1b2c3d", 1))]}, CONTEXT)

    printed = emf.parse(capsys.readouterr().out)
    own = {(metric.name, "settler") for metric in printed if metric.dimensions.get("service") == "settler"}
    shown = {series for series in pipeline_series() if series[1] == "settler"}
    assert shown == own
    assert settler.store.get("stopped-0a1b2c3d")["status"] == "cancelled"


def test_a_campaign_that_cannot_be_read_is_left_for_the_next_sweep_and_the_others_are_swept(settler, monkeypatch):
    campaign(settler.store, "hidden-0a1b2c3d", ["generating"], updated_at=long_ago())
    campaign(settler.store, "stuck-0a1b2c3d", ["generating"], updated_at=long_ago())
    s3 = settler.service().store.s3
    get_object = s3.get_object

    def forbidden_for_hidden(**kwargs):
        if "hidden" in kwargs["Key"]:  # what S3 answers for a missing key without ListBucket on its folder
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject")
        return get_object(**kwargs)

    monkeypatch.setattr(s3, "get_object", forbidden_for_hidden)
    fired_now = {**fixture("awsdocs-lambda_scheduled-event.json"), "time": datetime.now(UTC).isoformat()}
    assert settler.handler(fired_now, CONTEXT) == {"open": 2, "closed": 1, "settled": 1}
    markers = [o["Key"] for o in settler.s3.list_objects_v2(Bucket=BUCKET, Prefix="output/_open/")["Contents"]]
    assert markers == ["output/_open/hidden-0a1b2c3d"]
    # A record for it is acknowledged, not retried forever: a retry cannot make the manifest readable.
    response = settler.handler({"Records": [sqs_record(on_failure_body("hidden-0a1b2c3d", 0))]}, CONTEXT)
    assert response == {"batchItemFailures": []}


def test_a_campaign_reopened_by_a_rerender_whose_worker_dies_is_still_settled_by_a_later_sweep(settler):
    from handlers.batch_worker.rerender import rerender

    store = settler.store
    campaign(store, "autumn-0a1b2c3d", ["complete", "complete"])
    store.update(
        "autumn-0a1b2c3d", lambda m: [p.update(source_key=f"existing-assets/{p['index']}.png") for p in m["products"]]
    )
    now = datetime.now(UTC).isoformat()
    settler.handler({"detail-type": "Scheduled Event", "time": now}, CONTEXT)  # settled: its marker is removed
    assert "Contents" not in store.s3.list_objects_v2(Bucket=BUCKET, Prefix="output/_open/")

    def worker_killed(payload):
        raise RuntimeError("the Batch container was stopped")

    with pytest.raises(RuntimeError):
        rerender(store, "autumn-0a1b2c3d", worker_killed)  # products reopened, none handed over
    assert store.get("autumn-0a1b2c3d")["status"] == "processing"
    later = (datetime.now(UTC) + timedelta(seconds=STUCK_AFTER + 60)).isoformat()
    settler.handler({"detail-type": "Scheduled Event", "time": later}, CONTEXT)
    settled = store.get("autumn-0a1b2c3d")
    assert settled["status"] == "failed"
    assert {p["error"]["code"] for p in settled["products"]} == {"NoProgress"}


FAILED_JOB = "batchdoc_job-state-change-failed.json"


def failed_job_event(campaign_id: str, job_id: str = "4c7599ae-0a82-49aa-ba5a-4727fcce14a8") -> dict:
    event = copy.deepcopy(fixture(FAILED_JOB))
    event["detail"]["parameters"] = {"campaign_id": campaign_id}
    event["detail"]["jobId"] = job_id
    return event


def test_a_failed_rerender_job_settles_the_campaigns_rerender_failed_in_words(settler):
    store = ManifestStore(settler.s3, BUCKET)
    campaign(store, "splash-1", ["complete"])
    # what the API recorded when it submitted the job (handlers/api/service.py, rerender)
    store.update(
        "splash-1",
        lambda m: m.setdefault("rerenders", []).append({"version": "v1.0.0", "job_id": "job-1", "digest": "sha256:1"}),
    )
    answer = settler.handler(failed_job_event("splash-1", "job-1"), CONTEXT)
    assert answer == {"campaign_id": "splash-1", "recorded": True}
    [rerender] = store.get("splash-1")["rerenders"]
    assert rerender["version"] == "v1.0.0" and rerender["status"] == "failed"
    assert rerender["error"]["code"] == "RerenderFailed"
    message = rerender["error"]["message"]
    assert message.startswith("The re-render job rerender-summer-splash-20260101T000000Z-1a2b3c4d (job-1) failed")
    assert "after 1 attempt(s)" in message and "CannotPullContainerError" in message
    assert store.get("splash-1")["status"] == "complete", "the campaign's own status is the products'"
    # EventBridge or Lambda may deliver it again: nothing changes twice
    assert settler.handler(failed_job_event("splash-1", "job-1"), CONTEXT)["recorded"] is False
    assert len(store.get("splash-1")["rerenders"]) == 1


def test_a_failed_job_the_api_did_not_record_is_added_and_one_for_no_campaign_is_logged(settler):
    store = ManifestStore(settler.s3, BUCKET)
    campaign(store, "splash-2", ["complete"])
    assert settler.handler(failed_job_event("splash-2", "job-9"), CONTEXT)["recorded"] is True
    [rerender] = store.get("splash-2")["rerenders"]
    assert (rerender["job_id"], rerender["status"]) == ("job-9", "failed")
    assert rerender["job_definition"].endswith("job-definition/creative-automation-prod-rerender:3")
    assert settler.handler(failed_job_event("no-such-campaign"), CONTEXT)["recorded"] is False


def test_a_batch_event_that_is_no_failed_rerender_is_ignored(settler):
    assert settler.handler(fixture("batchdoc_job-state-change-runnable.json"), CONTEXT) == {"ignored": True}
