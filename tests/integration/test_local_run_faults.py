"""Fault injection through the local run: 50 briefs, 10 % of AWS calls failing transiently, and the
variants function crashing once mid-product after the generated image was saved.

Each brief has one product to generate, so every campaign pays the image model once. The failures are injected
under the handlers' own boto3 clients (a botocore `before-send` hook answers
instead of moto, as S3/SQS would: 500 InternalError, 503 SlowDown, throttling), so every layer above
reacts as in AWS: botocore's retries, the parser's partial batch failures and SQS redelivery, Lambda's
asynchronous retries, the manifest's conditional writes.
"""

import io
import json
import random
import threading
from collections import Counter

import pytest
from botocore.awsrequest import AWSResponse

from localrun.run import RunOptions, run

pytestmark = pytest.mark.slow  # fifty briefs under injected faults

BRIEFS = 50
FAULT_RATE = 0.10
VARIANTS = 5


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


def transient_failure(request, rng):
    """What S3 or SQS answers when it is throttling or failing inside."""
    if request.headers.get("X-Amz-Target", b"").startswith(b"AmazonSQS"):  # SQS speaks JSON
        code, status = rng.choice([("ThrottlingException", 400), ("InternalError", 500)])
        body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": "injected"}).encode()
        headers = {"x-amzn-query-error": f"{code};Sender", "Content-Type": "application/x-amz-json-1.0"}
    else:
        code, status = rng.choice([("InternalError", 500), ("SlowDown", 503), ("ServiceUnavailable", 503)])
        body = f"<Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
        headers = {"Content-Type": "application/xml"}
    return AWSResponse(request.url, status, headers, _Raw(body))


def brief(number: int) -> dict:
    return {
        "campaign_name": f"Fault Drill {number}",
        "campaign_message": f"Drill {number}: stay cool",
        "products": [{"name": f"Berry {number}", "description": "sparkling water with raspberry"}],
    }


def test_every_campaign_completes_under_transient_failures_and_crashes(tmp_path):
    folder = tmp_path / "briefs"
    folder.mkdir()
    for number in range(BRIEFS):
        (folder / f"drill-{number:02d}.json").write_text(json.dumps(brief(number)))
    rng = random.Random(20261125)
    lock = threading.Lock()
    calls = Counter()
    model_calls = Counter()
    crashed = set()
    saved = set()  # products whose generated image was saved at least once
    paid_after_save = Counter()  # model calls for a product whose image was already saved
    current = threading.local()  # the product a worker thread is generating

    def inject(request, **_):
        with lock:
            calls["all"] += 1
            if rng.random() < FAULT_RATE:
                calls["failed"] += 1
                return transient_failure(request, rng)
        return None

    def configure(session):
        session.events.register("before-send", inject)

    def prepare(service, module):
        if service not in ("generator", "variants"):
            return  # the faults are injected into the product functions' writes
        client = module.service().s3
        if service == "generator":
            backend = module.service().backend
            generate, put = backend.generate, client.put_object

            def counted(request, *args, **kwargs):
                with lock:
                    model_calls[request.label] += 1
                    paid_after_save[request.label] += request.label in saved
                current.label = request.label
                return generate(request, *args, **kwargs)

            def put_and_note(**kwargs):
                response = put(**kwargs)
                if kwargs["Key"].endswith(".png"):  # the generated image or its cache copy is saved
                    with lock:
                        saved.add(current.label)
                return response

            backend.generate = counted
            client.put_object = put_and_note
        if service == "variants":
            put = client.put_object

            def crash_mid_product(**kwargs):
                # After two variants of a generated product are saved, the function dies once.
                key = kwargs["Key"]
                product = key.rsplit("/", 1)[0]
                if "/variants/" in key and "berry" in product and key.endswith("facebook-feed.jpg"):
                    with lock:
                        first = product not in crashed
                        crashed.add(product)
                    if first:
                        raise RuntimeError(f"stand-in crash while rendering {product}")
                return put(**kwargs)

            client.put_object = crash_mid_product

    result = run(
        RunOptions(
            briefs=sorted(folder.glob("*.json")),
            out=tmp_path / "out",
            workers=8,
            batching_window_seconds=0.5,
            configure_session=configure,
            prepare_function=prepare,
            log_stream=io.StringIO(),
        )
    )

    assert calls["failed"] >= 0.05 * calls["all"] and calls["all"] > 1000, calls
    assert len(crashed) == BRIEFS and result.async_retries >= BRIEFS  # each crash was retried by "Lambda"
    assert len(result.campaigns) == BRIEFS
    assert [cid for cid, m in result.campaigns.items() if m["status"] != "complete"] == []
    assert result.dlq_messages == [] and result.failed_invocations == []
    for manifest in result.campaigns.values():
        for product in manifest["products"]:
            assert sorted(v["name"] for v in product["variants"]) == sorted(
                ["instagram-square", "instagram-story", "facebook-feed", "twitter-card", "linkedin-post"]
            )
            assert len(product["variants"]) == VARIANTS
    # No saved image is paid for again: the crash and every retry after a save reuse the saved image.
    assert +paid_after_save == Counter(), paid_after_save
    assert set(model_calls) == {f"Berry {n}" for n in range(BRIEFS)}
    # A second call is only legitimate when the first image was never saved (a save failed past retries).
    assert sum(model_calls.values()) - BRIEFS <= 2, model_calls
    assert result.ok
