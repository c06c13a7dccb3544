"""Generative expand ("framing": "expand") against moto S3, with Stability's Outpaint service stubbed (botocore
Stubber) as its Bedrock page documents request and answer, called through its us. inference profile: the extension
is the model's, the product is untouched, the cost recorded once; a refused model fails the product once."""

import base64
import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image, ImageDraw

from handlers.generator.models import BedrockImages
from handlers.shared.manifest import ManifestStore, new_manifest
from handlers.variants.render import prepare
from handlers.variants.service import VariantsService
from tests.documented import BEDROCK_PAGES, MODEL_UNAVAILABLE_ANSWERS, RESPONSE_PAGE_EXAMPLE, USD_PER_IMAGE
from tests.quiet import Metrics, Quiet
from tests.shots import tall_can

BUCKET = "creative-automation-dev-123456789012-us-east-1"
CID = "summer-splash-2026-0a1b2c3d"
SOURCE = "existing-assets/acme/citrus/product.png"
PAGE = BEDROCK_PAGES["stability.stable-outpaint-v1:0"]
OUTPAINT = PAGE["profile"]  # us.stability.stable-outpaint-v1:0: the service is called only through it
OUTPAINT_USD = USD_PER_IMAGE["stability.stable-outpaint-v1:0"]
MAGENTA = (255, 0, 255)


def outpaint_answer(size) -> dict:
    """The page's example answer, its image the extended frame painted magenta."""
    buffer = io.BytesIO()
    Image.new("RGB", size, MAGENTA).save(buffer, "PNG")
    answer = RESPONSE_PAGE_EXAMPLE | {"images": [base64.b64encode(buffer.getvalue()).decode()]}
    data = json.dumps(answer).encode()
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}


@pytest.fixture
def world(aws_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=SOURCE, Body=tall_can())
    store = ManifestStore(s3, BUCKET)
    products = [
        {"index": i, "name": f"Citrus {i}", "image_source": "existing", "source_key": SOURCE, "status": "rendering"}
        for i in range(2)
    ]
    brief = {"campaign_name": "Summer Splash 2026", "campaign_message": "Stay cool"}
    store.create(
        new_manifest(campaign_id=CID, brief=brief, brief_key="input/campaign-briefs/a.json", products=products)
        | {"framing": "expand"}
    )
    bedrock = boto3.client("bedrock-runtime", region_name="us-west-2")
    stubber = Stubber(bedrock)
    stubber.activate()
    sent: list[dict] = []
    bedrock.meta.events.register(
        "before-parameter-build.bedrock-runtime.InvokeModel",
        lambda params, **_: sent.append(json.loads(params["body"])),
    )
    metrics = Metrics()
    model = BedrockImages(bedrock, OUTPAINT, sleep=lambda _: None)
    service = VariantsService(s3, store, Quiet(), metrics, model=model)
    return s3, store, service, stubber, sent, metrics


def extended_sizes() -> list[tuple[int, int]]:
    prepared = prepare(tall_can())
    return [f.size for f in prepared.framings.values() if f.extension(prepared.source_size) > 0]


def test_the_model_paints_the_extension_and_its_cost_is_the_products(world):
    s3, store, service, stubber, sent, _ = world
    sizes = extended_sizes()
    assert sizes, "the tall can needs the wide sizes extended"
    for size in sizes:
        stubber.add_response(
            "invoke_model",
            outpaint_answer(size),
            {"modelId": OUTPAINT, "body": ANY, "accept": "application/json", "contentType": "application/json"},
        )
    assert service.handle(CID, 0, SOURCE) == "complete"
    stubber.assert_no_pending_responses()

    prepared = prepare(tall_can())
    extended = {f.size: f.covered(prepared.source_size) for f in prepared.framings.values() if f.size in sizes}
    for body, size in zip(sent, sizes, strict=True):
        assert PAGE["required"] <= set(body) <= PAGE["fields"], PAGE["page"]
        kept = Image.open(io.BytesIO(base64.b64decode(body["image"])))
        covered = extended[size]
        assert kept.size == (covered.right - covered.left, covered.bottom - covered.top)
        assert min(kept.size) >= PAGE["min_side"] and max(kept.size) / min(kept.size) <= PAGE["max_aspect"]
        sides = (body["left"], body["right"], body["up"], body["down"])
        assert sides == (covered.left, size[0] - covered.right, covered.top, size[1] - covered.bottom)
        assert all(0 <= n <= PAGE["max_extension"] for n in sides) and any(sides)
        assert PAGE["seed"][0] < body["seed"] <= PAGE["seed"][1]

    product = store.get(CID)["products"][0]
    assert product["cost_usd"] == pytest.approx(OUTPAINT_USD * len(sizes))
    expanded = [v for v in product["variants"] if v["check"].get("expanded_by") == OUTPAINT]
    assert len(expanded) == len(sizes)
    variant = next(v for v in expanded if v["width"] > v["height"])  # the tall can: extended left and right
    jpeg = Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=variant["key"])["Body"].read())).convert("RGB")
    covered = prepared.framings[variant["name"]].covered(prepared.source_size)
    x = 2 if covered.left > 10 else variant["width"] - 3  # a pixel the source does not reach
    edge = jpeg.getpixel((x, variant["height"] // 2))
    assert edge[0] > 200 and edge[1] < 60 and edge[2] > 200, edge  # the model's magenta, not a grey continuation

    # The same frames for another product: taken from the cache, not paid again.
    assert service.handle(CID, 1, SOURCE) == "complete"
    stubber.assert_no_pending_responses()
    second = store.get(CID)["products"][1]
    assert second["cost_usd"] == 0 and len(sent) == len(sizes)
    # A retry of the first product still records what it paid, once.
    store.update_product(CID, 0, status="rendering")
    assert service.handle(CID, 0, SOURCE) == "complete"
    assert store.get(CID)["products"][0]["cost_usd"] == pytest.approx(OUTPAINT_USD * len(sizes))


@pytest.mark.parametrize(("code", "message", "status"), MODEL_UNAVAILABLE_ANSWERS)
def test_an_outpaint_model_bedrock_will_not_serve_fails_the_product_once(world, code, message, status):
    _, store, service, stubber, sent, metrics = world
    stubber.add_client_error("invoke_model", service_error_code=code, service_message=message, http_status_code=status)
    assert service.handle(CID, 0, SOURCE) == "failed"  # returned: Lambda does not retry it
    stubber.assert_no_pending_responses()
    assert len(sent) == 1  # one call, refused, unpaid; the other sizes never asked
    product = store.get(CID)["products"][0]
    assert product["error"]["code"] == "ModelUnavailable" and OUTPAINT in product["error"]["message"]
    assert code in product["error"]["message"] and product.get("variants", []) == []
    assert metrics.added == [("ModelUnavailable", 1)]


def test_without_an_outpaint_model_an_expand_is_refused_before_any_call(world):
    s3, store, _, stubber, sent, _ = world
    refusing = VariantsService(s3, store, Quiet(), Quiet(), model=None, can_expand=False)
    assert refusing.handle(CID, 0, SOURCE) == "failed"
    product = store.get(CID)["products"][0]
    assert product["error"]["code"] == "ExpandUnavailable" and "bedrockOutpaintModelId" in product["error"]["message"]
    assert sent == []


def test_a_frame_the_model_cannot_take_gets_the_plain_fill_unpaid_and_flagged(world):
    """A long thin product on a strip (a banner): in the square and the story the strip's kept part is far beyond
    2.5:1 and thinner than 64 px, so the model is not asked for them."""
    s3, store, service, stubber, sent, _ = world
    strip = Image.new("RGB", (3000, 200), (235, 235, 235))
    ImageDraw.Draw(strip).rectangle((100, 40, 2900, 160), fill=(20, 90, 200))
    buffer = io.BytesIO()
    strip.save(buffer, "PNG")
    s3.put_object(Bucket=BUCKET, Key=SOURCE, Body=buffer.getvalue())
    for _ in range(5):  # the sizes the model can take answer; the square does not reach it
        stubber.add_response("invoke_model", outpaint_answer((1200, 630)), None)
    assert service.handle(CID, 0, SOURCE) == "complete"
    product = store.get(CID)["products"][0]
    plain = [v for v in product["variants"] if v["check"].get("expanded_by") == "local stand-in"]
    assert plain, "a frame beyond the model's limits keeps the plain fill"
    for variant in plain:
        assert variant["check"]["needs_review"] is True
        assert any("not the outpaint model" in reason for reason in variant["check"]["reasons"])
        assert variant["check"]["expand_cost_usd"] == 0
    assert product["cost_usd"] == pytest.approx(OUTPAINT_USD * len(sent))  # only what was asked, paid


def test_an_outpaint_content_filter_fails_the_product_once(world):
    _, store, service, stubber, sent, _ = world
    data = json.dumps({"finish_reasons": ["Filter reason: input image"]}).encode()
    answer = {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}
    stubber.add_response("invoke_model", answer, None)
    assert service.handle(CID, 0, SOURCE) == "failed"  # returned, not raised: no paid retry
    product = store.get(CID)["products"][0]
    assert product["error"]["code"] == "ContentFiltered" and "Filter reason: input image" in product["error"]["message"]
    assert len(sent) == 1
