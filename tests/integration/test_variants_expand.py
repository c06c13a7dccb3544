"""Generative expand ("framing": "expand") against moto S3, with Nova Canvas stubbed (botocore Stubber) in
its real response shape: the extension is the model's, the product is untouched, the cost recorded once."""

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
from handlers.variants.expand import model_size
from handlers.variants.render import prepare
from handlers.variants.service import VariantsService
from tests.quiet import Quiet

BUCKET = "creative-automation-dev-123456789012-us-east-1"
CID = "summer-splash-2026-0a1b2c3d"
SOURCE = "existing-assets/acme/citrus/product.png"
NOVA = "amazon.nova-canvas-v1:0"
MAGENTA = (255, 0, 255)


def product_shot() -> bytes:
    """A tall can on a plain studio background: the wide sizes need the canvas extended."""
    image = Image.new("RGB", (800, 800), (235, 235, 235))
    ImageDraw.Draw(image).rectangle((330, 120, 470, 680), fill=(20, 90, 200))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def nova_answer(size) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", size, MAGENTA).save(buffer, "PNG")
    data = json.dumps({"images": [base64.b64encode(buffer.getvalue()).decode()], "error": None}).encode()
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}


@pytest.fixture
def world(aws_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=SOURCE, Body=product_shot())
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
    bedrock = boto3.client("bedrock-runtime", region_name="us-east-1")
    stubber = Stubber(bedrock)
    stubber.activate()
    sent: list[dict] = []
    bedrock.meta.events.register(
        "before-parameter-build.bedrock-runtime.InvokeModel",
        lambda params, **_: sent.append(json.loads(params["body"])),
    )
    service = VariantsService(s3, store, Quiet(), Quiet(), model=BedrockImages(bedrock, NOVA, sleep=lambda _: None))
    return s3, store, service, stubber, sent


def extended_sizes() -> list[tuple[int, int]]:
    prepared = prepare(product_shot())
    return [f.size for f in prepared.framings.values() if f.extension(prepared.source_size) > 0]


def test_the_model_paints_the_extension_and_its_cost_is_the_products(world):
    s3, store, service, stubber, sent = world
    sizes = extended_sizes()
    assert sizes, "the tall can needs the wide sizes extended"
    for size in sizes:
        stubber.add_response(
            "invoke_model",
            nova_answer(model_size(size, NOVA)),
            {"modelId": NOVA, "body": ANY, "accept": "application/json", "contentType": "application/json"},
        )
    assert service.handle(CID, 0, SOURCE) == "complete"
    stubber.assert_no_pending_responses()

    for body, size in zip(sent, sizes, strict=True):
        assert body["taskType"] == "OUTPAINTING"
        params = body["outPaintingParams"]
        assert params["outPaintingMode"] in ("DEFAULT", "PRECISE")
        image = Image.open(io.BytesIO(base64.b64decode(params["image"])))
        mask = Image.open(io.BytesIO(base64.b64decode(params["maskImage"]))).convert("L")
        assert image.mode == "RGB" and image.size == mask.size == model_size(size, NOVA)
        assert all(side % 16 == 0 and 320 <= side <= 4096 for side in image.size)
        assert {value for _, value in mask.getcolors()} == {0, 255}  # pure black (kept) and pure white (painted) only
        assert 0 <= body["imageGenerationConfig"]["seed"] <= 858_993_459

    product = store.get(CID)["products"][0]
    assert product["cost_usd"] == pytest.approx(0.04 * len(sizes))  # Nova Canvas: USD 0.04 per image
    expanded = [v for v in product["variants"] if v["check"].get("expanded_by") == NOVA]
    assert len(expanded) == len(sizes)
    variant = next(v for v in expanded if v["width"] > v["height"])  # the tall can: extended left and right
    jpeg = Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=variant["key"])["Body"].read())).convert("RGB")
    prepared = prepare(product_shot())
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
    assert store.get(CID)["products"][0]["cost_usd"] == pytest.approx(0.04 * len(sizes))
