"""parser -> generator -> variants through the real handlers, invocations run in-process, against moto S3.

Also the metrics contract: the EMF lines each handler prints (namespace, dimension sets, metric names)."""

import importlib
import json
from collections import deque
from pathlib import Path

import boto3
import pytest

from shared import metrics as names
from shared.invoke import set_transport
from tests.aws_events import s3_notification, sqs_event
from tools.lambda_context import LocalContext

BUCKET = "creative-automation-dev-123456789012-us-east-1"
NAMESPACE = "CreativeAutomation/test"
SAMPLE = Path(__file__).parents[2] / "samples" / "briefs" / "summer-splash.json"
FUNCTIONS = {"GENERATOR_FUNCTION": "generator", "VARIANTS_FUNCTION": "variants"}


def emf_lines(text: str) -> list[dict]:
    """The CloudWatch embedded-metric-format documents among printed lines."""
    documents = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            documents.append(json.loads(line))
    return documents


def metric_values(documents: list[dict]) -> dict[tuple[str, str], float]:
    """(service, metric) -> sum of values, checking each document's shape on the way."""
    totals: dict[tuple[str, str], float] = {}
    for document in documents:
        [directive] = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        assert directive["Dimensions"] == [["service"]]
        for metric in directive["Metrics"]:
            values = document[metric["Name"]]
            values = values if isinstance(values, list) else [values]
            key = (document["service"], metric["Name"])
            totals[key] = totals.get(key, 0) + sum(values)
    return totals


@pytest.fixture
def pipeline(aws_endpoint, monkeypatch):
    for name, value in {"S3_BUCKET_NAME": BUCKET, "IMAGE_BACKEND": "local", "MAX_BRIEF_BYTES": "1048576",
                        "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE, "BEDROCK_MODEL_ID": "amazon.nova-canvas-v1:0"}.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    from PIL import Image
    import io
    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), (240, 200, 60)).save(buffer, "PNG")
    s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/citrus/product.png", Body=buffer.getvalue())
    apps = {name: importlib.import_module(f"{name}.app") for name in ("parser", "generator", "variants")}
    for app in apps.values():
        monkeypatch.setattr(app, "_service", None)  # fresh clients against this moto server
    pending = deque()
    set_transport(lambda target, payload: pending.append((FUNCTIONS[target], payload)))

    def run(event):
        response = apps["parser"].handler(event, LocalContext("creative-automation-dev-parser"))
        while pending:
            name, payload = pending.popleft()
            apps[name].handler(payload, LocalContext(f"creative-automation-dev-{name}"))
        return response

    run.s3 = s3
    yield run
    set_transport(None)


def test_the_sample_brief_becomes_ten_variants_and_a_complete_campaign(pipeline, capsys):
    capsys.readouterr()
    body = SAMPLE.read_bytes()
    response = pipeline.s3.put_object(Bucket=BUCKET, Key="input/campaign-briefs/summer-splash.json", Body=body)
    event = sqs_event(s3_notification(BUCKET, "input/campaign-briefs/summer-splash.json", size=len(body),
                                      etag=response["ETag"].strip('"')))
    assert pipeline(event) == {"batchItemFailures": []}

    keys = [o["Key"] for o in pipeline.s3.list_objects_v2(Bucket=BUCKET, Prefix="output/")["Contents"]]
    [manifest_key] = [k for k in keys if k.endswith("manifest.json")]
    manifest = json.loads(pipeline.s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    assert manifest["status"] == "complete"
    assert [p["image_source"] for p in manifest["products"]] == ["existing", "generated"]
    assert all(len(p["variants"]) == 5 for p in manifest["products"])
    assert manifest["products"][1]["source_key"].endswith("/generated/01-berry-sparkling-water.png")

    totals = metric_values(emf_lines(capsys.readouterr().out))
    assert totals[("parser", names.CAMPAIGNS_STARTED)] == 1
    assert totals[("parser", names.PRODUCTS_REUSED)] == 1  # the existing asset
    assert totals[("generator", names.PRODUCTS_GENERATED)] == 1
    assert totals[("generator", names.IMAGE_MODEL_COST_USD)] == 0  # the offline backend is free
    assert ("generator", names.GENERATION_DURATION_MS) in totals
    assert totals[("variants", names.VARIANTS_RENDERED)] == 10
    assert ("variants", names.RENDER_DURATION_MS) in totals
    assert totals[("variants", names.CAMPAIGNS_COMPLETED)] == 1
    assert not any(metric == names.CAMPAIGNS_FAILED for _, metric in totals)
