"""The variants function against moto S3: five JPEGs written, recorded in the manifest, product complete."""

import io

import boto3
import pytest
from PIL import Image

from handlers.shared.manifest import ManifestStore, new_manifest
from handlers.variants.service import VariantsService
from tests.documented import CONTRACT_VARIANT_SIZES

BUCKET = "creative-automation-dev-123456789012-us-east-1"
CID = "summer-splash-2026-0a1b2c3d"
SOURCE = "existing-assets/acme/citrus/product.png"


class Quiet:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


@pytest.fixture
def world(aws_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    store = ManifestStore(s3, BUCKET)
    store.create(
        new_manifest(
            campaign_id=CID,
            brief={"campaign_name": "Summer Splash 2026", "campaign_message": "Stay cool all summer"},
            brief_key="input/campaign-briefs/a.json",
            brand_colors=["#0A84FF", "#FFFFFF"],
            products=[
                {
                    "index": 0,
                    "name": "Citrus Sparkling Water",
                    "image_source": "existing",
                    "source_key": SOURCE,
                    "status": "rendering",
                },
                {"index": 1, "name": "Berry", "image_source": "generated", "status": "generating"},
            ],
        )
    )
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), (250, 200, 40)).save(buffer, "PNG")
    s3.put_object(Bucket=BUCKET, Key=SOURCE, Body=buffer.getvalue())
    return s3, store, VariantsService(s3, store, Quiet(), Quiet())


def test_five_variants_written_and_recorded(world):
    s3, store, service = world
    assert service.handle(CID, 0, SOURCE) == "complete"
    product = store.get(CID)["products"][0]
    assert product["status"] == "complete" and product["error"] is None
    assert [(v["name"], v["width"], v["height"]) for v in product["variants"]] == [
        (name, *size) for name, size in CONTRACT_VARIANT_SIZES.items()
    ]
    for variant in product["variants"]:
        assert variant["key"].startswith(f"output/{CID}/variants/00-citrus-sparkling-water/")
        obj = s3.get_object(Bucket=BUCKET, Key=variant["key"])
        assert obj["ContentType"] == "image/jpeg"
        assert Image.open(io.BytesIO(obj["Body"].read())).size == (variant["width"], variant["height"])
    assert store.get(CID)["status"] == "processing", "product 1 has not settled yet"


def test_a_missing_or_corrupt_source_fails_the_product_not_the_invocation(world):
    s3, store, service = world
    assert service.handle(CID, 0, "existing-assets/acme/nothing.png") == "failed"
    assert store.get(CID)["products"][0]["error"]["code"] == "SourceMissing"
    s3.put_object(Bucket=BUCKET, Key="output/x/broken.png", Body=b"\x89PNG\r\n\x1a\nbroken")
    store.update_product(CID, 1, status="rendering")
    assert service.handle(CID, 1, "output/x/broken.png") == "failed"
    manifest = store.get(CID)
    assert manifest["products"][1]["error"]["code"] == "SourceUnreadable"
    assert manifest["products"][1]["error"]["message"] == (
        "output/x/broken.png: a PNG file that is damaged or cut short (14 bytes); export it again and upload it"
    )
    assert manifest["status"] == "failed"


def test_a_duplicate_invocation_after_completion_changes_nothing(world):
    s3, store, service = world
    service.handle(CID, 0, SOURCE)
    before = store.read(CID)[1]
    assert service.handle(CID, 0, SOURCE) == "complete"
    assert store.read(CID)[1] == before


def test_transient_failures_are_raised_and_the_last_attempt_settles_the_product(world):
    from botocore.exceptions import ClientError

    s3, store, service = world
    service.max_attempts = 2

    def unavailable(params, **_):
        if params.get("Key") != SOURCE:
            return
        raise ClientError(
            {
                "Error": {"Code": "ServiceUnavailable", "Message": "try later"},
                "ResponseMetadata": {"HTTPStatusCode": 503},
            },
            "GetObject",
        )

    s3.meta.events.register("before-parameter-build.s3.GetObject", unavailable)
    with pytest.raises(ClientError):
        service.handle(CID, 0, SOURCE)
    assert store.get(CID)["products"][0]["status"] == "rendering", "Lambda will retry"
    with pytest.raises(ClientError):
        service.handle(CID, 0, SOURCE)
    product = store.get(CID)["products"][0]
    assert product["status"] == "failed" and product["error"]["code"] == "ServiceUnavailable"
