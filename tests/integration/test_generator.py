"""The generator against moto S3, with Bedrock stubbed (botocore Stubber): each model's answer as its Bedrock
user-guide page shows it (tests/documented.py cites each page), and Bedrock's refusals as users have seen them."""

import base64
import importlib
import io
import json
import sys

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from PIL import Image

from handlers.generator.models import FINISH_MARGIN, READ_TIMEOUT, BedrockImages
from handlers.generator.service import GeneratorService
from handlers.shared.image_models import TEXT_TO_IMAGE, models
from handlers.shared.manifest import ManifestStore, new_manifest
from localrun.lambda_context import LocalContext
from tests.documented import (
    BEDROCK_PAGES,
    FILTERED_PAGE_EXAMPLE,
    MODEL_UNAVAILABLE_ANSWERS,
    RESPONSE_PAGE_EXAMPLE,
    USD_PER_IMAGE,
)
from tests.quiet import Metrics, Quiet

BUCKET = "creative-automation-dev-123456789012-us-east-1"
CID = "summer-splash-2026-0a1b2c3d"


def png_bytes(color=(200, 30, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, "PNG")
    return buffer.getvalue()


B64 = base64.b64encode(png_bytes()).decode()
CORE = "stability.stable-image-core-v1:1"
# What Bedrock returns (InvokeModel response body), per text-to-image model: the page's example, with an image.
RESPONSES = {
    model_id: RESPONSE_PAGE_EXAMPLE | {"images": [B64]} for model_id in BEDROCK_PAGES if "outpaint" not in model_id
}


class Clock:
    """The function's remaining time, used up by model calls and backoff sleeps."""

    def __init__(self, remaining_s):
        self.remaining_s = remaining_s
        self.sleeps = []

    def remaining_ms(self):
        return int(self.remaining_s * 1000)

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.remaining_s -= seconds


class SlowBedrock:
    """The stubbed client, each call taking the next of `durations` seconds on the clock; a call that
    reaches the read timeout raises botocore's ReadTimeoutError instead of answering."""

    def __init__(self, client, clock, durations):
        self.client, self.clock, self.durations = client, clock, list(durations)

    def invoke_model(self, **kwargs):
        seconds = self.durations.pop(0)
        self.clock.remaining_s -= seconds
        if seconds >= READ_TIMEOUT:
            raise ReadTimeoutError(
                endpoint_url=f"https://bedrock-runtime.us-east-1.amazonaws.com/model/{kwargs['modelId']}/invoke"
            )
        return self.client.invoke_model(**kwargs)


def body(payload) -> dict:
    data = json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}


def client_error(code, message, status):
    return {"service_error_code": code, "service_message": message, "http_status_code": status}


@pytest.fixture
def world(aws_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    store = ManifestStore(s3, BUCKET)
    store.create(
        new_manifest(
            campaign_id=CID,
            brief={"campaign_name": "Summer Splash 2026", "campaign_message": "Stay cool"},
            brief_key="input/campaign-briefs/a.json",
            products=[
                {
                    "index": 0,
                    "name": "Berry Sparkling Water",
                    "image_source": "generated",
                    "description": "Sparkling water with raspberry",
                    "status": "generating",
                }
            ],
            brand_colors=["#0A84FF"],
            target_audience="Active adults",
            target_regions=["US"],
        )
    )

    def make(model_id, max_attempts=3, clock=None, durations=()):
        bedrock = boto3.client("bedrock-runtime", region_name="us-west-2")
        stubber = Stubber(bedrock)
        stubber.activate()
        make.sent = []  # the request bodies, as Bedrock receives them
        bedrock.meta.events.register(
            "before-parameter-build.bedrock-runtime.InvokeModel",
            lambda params, **_: make.sent.append(json.loads(params["body"])),
        )
        sleeps, invocations, metrics = [], [], Metrics()
        client = SlowBedrock(bedrock, clock, durations) if clock else bedrock
        images = BedrockImages(
            client,
            model_id,
            sleep=clock.sleep if clock else sleeps.append,
            on_throttle=lambda: metrics.add_metric("ModelThrottles", "Count", 1),
        )
        service = GeneratorService(
            s3,
            store,
            images,
            Quiet(),
            metrics,
            max_attempts=max_attempts,
            invoke=lambda payload: invocations.append((payload.FUNCTION, payload.to_event())),
        )
        return service, stubber, sleeps, invocations, metrics

    make.s3, make.store = s3, store
    return make


def expect_invoke(stubber, model_id, response):
    stubber.add_response(
        "invoke_model",
        response,
        {"modelId": model_id, "body": stubbed_any(), "accept": "application/json", "contentType": "application/json"},
    )


def stubbed_any():
    from botocore.stub import ANY

    return ANY


def test_every_text_to_image_model_in_the_table_is_covered_here():
    assert set(RESPONSES) == {m for m, model in models().items() if model.task == TEXT_TO_IMAGE}


@pytest.mark.parametrize("model_id", sorted(RESPONSES))
def test_each_model_saves_the_png_records_the_cost_and_invokes_variants(world, model_id):
    service, stubber, _, invocations, metrics = world(model_id)
    expect_invoke(stubber, model_id, body(RESPONSES[model_id]))
    assert service.handle(CID, 0) == "rendering"
    stubber.assert_no_pending_responses()
    product = world.store.get(CID)["products"][0]
    key = f"output/{CID}/generated/00-berry-sparkling-water.png"
    assert product["generated_key"] == product["source_key"] == key
    assert product["cost_usd"] == USD_PER_IMAGE[model_id] and product["cache_hit"] is False
    assert world.store.get(CID)["total_cost_usd"] == USD_PER_IMAGE[model_id]
    saved = world.s3.get_object(Bucket=BUCKET, Key=key)
    assert saved["ContentType"] == "image/png" and saved["Body"].read() == png_bytes()
    assert invocations == [
        ("VARIANTS_FUNCTION", {"campaign_id": CID, "product_index": 0, "bucket": BUCKET, "source_key": key})
    ]
    assert ("ImageModelCostUSD", USD_PER_IMAGE[model_id]) in metrics.added


@pytest.mark.parametrize("model_id", sorted(RESPONSES))
def test_the_request_bedrock_receives_holds_only_the_fields_the_models_page_documents(world, model_id):
    service, stubber, _, _, _ = world(model_id)
    expect_invoke(stubber, model_id, body(RESPONSES[model_id]))
    assert service.handle(CID, 0) == "rendering"
    [sent] = world.sent
    page = BEDROCK_PAGES[model_id]
    assert page["required"] <= set(sent) <= page["fields"], page["page"]
    assert page["seed"][0] < sent["seed"] <= page["seed"][1]  # 0 would be a random seed
    assert "plain light seamless studio backdrop" in sent["prompt"]  # the backdrop the variants frame
    assert "busy background" in sent["negative_prompt"]


@pytest.mark.parametrize(("code", "message", "status"), MODEL_UNAVAILABLE_ANSWERS)
def test_a_model_bedrock_will_not_serve_fails_the_product_once_in_plain_words(world, code, message, status):
    service, stubber, sleeps, invocations, metrics = world(CORE)
    stubber.add_client_error("invoke_model", **client_error(code, message, status))  # one answer: no second call
    assert service.handle(CID, 0) == "failed"  # returned, not raised: Lambda does not retry it
    stubber.assert_no_pending_responses()
    product = world.store.get(CID)["products"][0]
    assert product["status"] == "failed" and product["error"]["code"] == "ModelUnavailable"
    said = product["error"]["message"]
    assert CORE in said and "us-west-2" in said and code in said and message[:40] in said
    assert "docs/" in said  # where to read what to do
    assert sleeps == [] and invocations == [] and product["cost_usd"] == 0
    assert metrics.added.count(("ModelUnavailable", 1)) == 1
    assert world.store.get(CID)["status"] == "failed"
    # A duplicate delivery of the event finds the product settled: still one call, one metric.
    assert service.handle(CID, 0) == "failed" and metrics.added.count(("ModelUnavailable", 1)) == 1


def test_throttling_is_retried_with_jittered_backoff(world):
    service, stubber, sleeps, _, metrics = world(CORE)
    for _ in range(2):
        stubber.add_client_error("invoke_model", **client_error("ThrottlingException", "Too many requests", 429))
    expect_invoke(stubber, CORE, body(RESPONSES[CORE]))
    assert service.handle(CID, 0) == "rendering"
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0
    assert metrics.added.count(("ModelThrottles", 1)) == 2


def test_persistent_throttling_raises_and_the_last_lambda_attempt_settles_the_product(world):
    service, stubber, sleeps, invocations, _ = world(CORE, max_attempts=2)
    for _ in range(8):
        stubber.add_client_error("invoke_model", **client_error("ThrottlingException", "Too many requests", 429))
    with pytest.raises(Exception, match="ThrottlingException"):
        service.handle(CID, 0)  # Lambda's first attempt: raise, Lambda retries
    assert world.store.get(CID)["products"][0]["status"] == "generating"
    with pytest.raises(Exception, match="ThrottlingException"):
        service.handle(CID, 0)  # the last attempt: the product settles as failed, the event goes to the DLQ
    product = world.store.get(CID)["products"][0]
    assert product["status"] == "failed" and product["error"]["code"] == "ThrottlingException"
    assert world.store.get(CID)["status"] == "failed"
    assert invocations == []


def test_read_and_model_timeouts_are_retried_with_backoff_while_time_allows(world):
    clock = Clock(remaining_s=900)
    service, stubber, _, _, _ = world(CORE, clock=clock, durations=[READ_TIMEOUT, 5, 5])
    stubber.add_client_error(
        "invoke_model", **client_error("ModelTimeoutException", "Model has timed out in processing the request.", 408)
    )
    expect_invoke(stubber, CORE, body(RESPONSES[CORE]))
    assert service.handle(CID, 0, remaining_ms=clock.remaining_ms) == "rendering"
    stubber.assert_no_pending_responses()
    assert len(clock.sleeps) == 2 and 0 <= clock.sleeps[0] <= 1.0 and 0 <= clock.sleeps[1] <= 2.0


def test_with_no_time_for_another_call_the_last_attempt_fails_the_product_before_the_deadline(world):
    clock = Clock(remaining_s=119)  # a 120 s function, just started
    service, _, _, invocations, _ = world(CORE, max_attempts=1, clock=clock, durations=[READ_TIMEOUT])
    with pytest.raises(ReadTimeoutError):
        service.handle(CID, 0, remaining_ms=clock.remaining_ms)
    assert clock.sleeps == [] and clock.remaining_s >= FINISH_MARGIN  # no second call was started
    product = world.store.get(CID)["products"][0]
    assert product["status"] == "failed" and product["error"]["code"] == "ReadTimeoutError"
    assert world.store.get(CID)["status"] == "failed" and invocations == []


def fresh_generator_app(monkeypatch):
    """generator.app imported for this test only: its Logger and Metrics read the environment at import, and
    later tests import it with theirs."""
    import handlers.generator

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setitem(sys.modules, "handlers.generator.app", sys.modules.get("handlers.generator.app"))
    monkeypatch.setattr(handlers.generator, "app", getattr(handlers.generator, "app", None), raising=False)
    del sys.modules["handlers.generator.app"]
    return importlib.import_module("handlers.generator.app")


def test_the_handler_passes_the_lambda_deadline_and_starts_no_call_that_cannot_finish(world, monkeypatch):
    app = fresh_generator_app(monkeypatch)
    service, _, _, _, _ = world(CORE, max_attempts=1)  # no response stubbed: a model call would fail the test
    monkeypatch.setattr(app, "_service", service)
    context = LocalContext("creative-automation-dev-generator", timeout_seconds=60)
    with pytest.raises(TimeoutError, match="too little"):
        app.handler({"campaign_id": CID, "product_index": 0, "bucket": BUCKET}, context)
    product = world.store.get(CID)["products"][0]
    assert product["status"] == "failed" and product["error"]["code"] == "TimeoutError"


@pytest.mark.parametrize(
    "model_id,response,reason",
    [
        (CORE, body(FILTERED_PAGE_EXAMPLE), "Filter reason: prompt"),
        (
            "stability.stable-image-ultra-v1:1",
            body({"seeds": [1], "finish_reasons": ["Filter reason: output image"], "images": []}),
            "Filter reason: output image",
        ),
    ],
)
def test_content_filtered_results_fail_the_product_without_retry(world, model_id, response, reason):
    service, stubber, sleeps, invocations, _ = world(model_id)
    expect_invoke(stubber, model_id, response)
    assert service.handle(CID, 0) == "failed"
    product = world.store.get(CID)["products"][0]
    assert product["status"] == "failed" and product["error"]["code"] == "ContentFiltered"
    assert reason in product["error"]["message"]
    assert sleeps == [] and invocations == []


def test_the_same_prompt_model_size_and_seed_reuse_the_cached_image_at_no_cost(world):
    service, stubber, _, _, _ = world(CORE)
    expect_invoke(stubber, CORE, body(RESPONSES[CORE]))
    service.handle(CID, 0)
    other = "summer-splash-2026-ffffffff"
    manifest = world.store.get(CID)
    manifest.update(campaign_id=other, status="processing")
    manifest["products"][0].update(status="generating", generated_key=None, cost_usd=0.0, cache_hit=None)
    world.store.create(manifest)
    again, stubber_again, _, invocations, metrics = world(CORE)
    assert again.handle(other, 0) == "rendering"  # no response queued: a model call would fail the test
    product = world.store.get(other)["products"][0]
    assert product["cache_hit"] is True and product["cost_usd"] == 0.0
    assert world.s3.get_object(Bucket=BUCKET, Key=product["generated_key"])["Body"].read() == png_bytes()
    assert ("ProductsReused", 1) in metrics.added


def test_a_save_that_fails_after_the_model_answered_is_retried_without_paying_again(world):
    """The image is written to the cache first; if saving the campaign's copy then fails, the retry reuses it."""
    service, stubber, _, _, _ = world(CORE)
    expect_invoke(stubber, CORE, body(RESPONSES[CORE]))
    failing = {"left": 1}

    def fail_campaign_copy(params, **_):
        if "/generated/" in params.get("Key", "") and failing["left"]:
            failing["left"] -= 1
            raise ConnectionError("stand-in: S3 unreachable while saving the generated image")

    world.s3.meta.events.register("before-parameter-build.s3.PutObject", fail_campaign_copy)
    with pytest.raises(ConnectionError):
        service.handle(CID, 0)
    assert service.handle(CID, 0) == "rendering"  # no second response queued: a model call would fail here
    product = world.store.get(CID)["products"][0]
    # Paid once, by this product: the manifest says so, not that it came free from the cache.
    assert product["cache_hit"] is False and product["cost_usd"] == 0.04
    assert world.store.get(CID)["total_cost_usd"] == 0.04
    stubber.assert_no_pending_responses()


def test_a_retry_after_saving_never_pays_the_model_again(world):
    service, stubber, _, _, _ = world(CORE)
    expect_invoke(stubber, CORE, body(RESPONSES[CORE]))
    failing = {"left": 1}

    def invoke(payload):
        if failing["left"]:
            failing["left"] -= 1
            raise ConnectionError("lambda endpoint unreachable")

    service.invoke = invoke
    with pytest.raises(ConnectionError):
        service.handle(CID, 0)
    assert service.handle(CID, 0) == "rendering"  # Lambda's retry: straight to variants
    stubber.assert_no_pending_responses()
    assert world.store.get(CID)["products"][0]["cost_usd"] == 0.04
