"""A failure never becomes a successful answer: with AWS out of reach, each function's handler raises (Lambda
retries, then the on-failure destination or DLQ keeps the event) or, for the parser's SQS batch, reports the
record in batchItemFailures so SQS redelivers it. Nothing answers as an API would (no {"statusCode": 500})."""

import importlib
import socket

import pytest

from localrun.lambda_context import LocalContext
from tests.aws_events import fixture, s3_notification, sqs_event

BUCKET = "creative-automation-dev-123456789012-us-east-1"
PRODUCT = {"campaign_id": "summer-splash-2026-0a1b2c3d", "product_index": 0, "bucket": BUCKET}
EVENTS = {
    "generator": PRODUCT,
    "variants": {**PRODUCT, "source_key": "output/summer-splash-2026-0a1b2c3d/generated/00-a.png"},
    "image_updater": fixture("ecrdoc_image-push.json"),
}


@pytest.fixture
def aws_out_of_reach(monkeypatch, function_environment):
    """Every AWS call refused at once: an endpoint on a port nobody listens on, one attempt per call."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    function_environment(BUCKET, POWERTOOLS_METRICS_NAMESPACE="CreativeAutomation/test", DLQ_URL=None)
    for name, value in {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "IMAGE_TARGETS": '[{"service": "parser", "repository": "my-repository-name", "tag": "latest",'
        ' "function": "creative-automation-dev-parser"}]',
    }.items():
        monkeypatch.setenv(name, value)


def app_with_fresh_clients(name: str, monkeypatch):
    app = importlib.import_module(f"handlers.{name}.app")
    monkeypatch.setattr(app, "_service", None)
    if hasattr(app, "_environment"):
        monkeypatch.setattr(app, "_environment", None)
    return app


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_an_asynchronous_function_raises_when_its_work_fails(name, aws_out_of_reach, monkeypatch):
    app = app_with_fresh_clients(name, monkeypatch)
    with pytest.raises(Exception, match="Could not connect to the endpoint URL"):
        app.handler(EVENTS[name], LocalContext(f"creative-automation-dev-{name.replace('_', '-')}"))


def test_the_parser_reports_the_failed_record_for_redelivery(aws_out_of_reach, monkeypatch):
    app = app_with_fresh_clients("parser", monkeypatch)
    event = sqs_event(s3_notification(BUCKET, "input/campaign-briefs/summer.json"))
    response = app.handler(event, LocalContext("creative-automation-dev-parser"))
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
