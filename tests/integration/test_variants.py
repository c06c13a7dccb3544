"""The variants function against moto S3: five JPEGs written, recorded in the manifest, product complete."""

import io

import boto3
import pytest
from PIL import Image, ImageDraw

from handlers.shared.manifest import ManifestStore, new_manifest
from handlers.variants.service import VariantsService
from tests.documented import CONTRACT_VARIANT_SIZES
from tests.quiet import Quiet

BUCKET = "creative-automation-dev-123456789012-us-east-1"
CID = "summer-splash-2026-0a1b2c3d"
SOURCE = "existing-assets/acme/citrus/product.png"


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


def test_each_variant_records_its_creative_check_and_a_split_layout_asks_for_a_look(world):
    s3, store, service = world  # the source is one flat colour: no product to frame
    assert service.handle(CID, 0, SOURCE) == "complete"
    product = store.get(CID)["products"][0]
    assert product["status"] == "complete", "a variant that needs a look still completes"
    assert product["needs_review"] == sorted(CONTRACT_VARIANT_SIZES)
    for variant in product["variants"]:
        check = variant["check"]
        assert check["needs_review"] and "no product found" in check["reasons"][0]
        assert "split layout" in check["reasons"][0]
        wide = variant["width"] > variant["height"] * 1.3
        assert check["placement"] == ("beside-right" if wide else "below")
        assert check["product_visible"] is None and check["overlap_px"] is None
        assert check["contrast"] >= 4.5 and check["text_px"] >= 20 and check["fonts"] == ["Noto Sans"]
        assert variant["layout"]["fill"] == "panel" and check["split"] is True and check["extended"] is False


def test_localized_messages_get_five_variants_each_under_their_locale(world):
    s3, store, service = world
    product_shot = Image.new("RGB", (1024, 1024), (236, 240, 244))
    ImageDraw.Draw(product_shot).rounded_rectangle((400, 200, 620, 880), radius=40, fill=(200, 30, 160))
    buffer = io.BytesIO()
    product_shot.save(buffer, "PNG")
    s3.put_object(Bucket=BUCKET, Key=SOURCE, Body=buffer.getvalue())
    messages = {"en-US": "Stay cool", "ja-JP": "涼しい夏を", "ar-SA": "ابقَ منتعشاً"}
    store.update(CID, lambda manifest: manifest.update(campaign_message=messages))
    assert service.handle(CID, 0, SOURCE) == "complete"
    product = store.get(CID)["products"][0]
    assert len(product["variants"]) == 15 and product["needs_review"] == []
    folder = f"output/{CID}/variants/00-citrus-sparkling-water"
    assert {(v["locale"], v["key"]) for v in product["variants"]} == {
        (locale, f"{folder}/{locale}/{name}.jpg") for locale in messages for name in CONTRACT_VARIANT_SIZES
    }
    for variant in product["variants"]:
        assert s3.get_object(Bucket=BUCKET, Key=variant["key"])["ContentType"] == "image/jpeg"
    fonts = {v["locale"]: v["check"]["fonts"] for v in product["variants"]}
    assert fonts == {"en-US": ["Noto Sans"], "ja-JP": ["Noto Sans CJK SC"], "ar-SA": ["Noto Sans Arabic"]}
    # The framing is the product's, whatever the language: the same placement per size in every locale.
    placements = {(v["name"], v["locale"]): v["check"]["placement"] for v in product["variants"]}
    for name in CONTRACT_VARIANT_SIZES:
        assert len({placements[(name, locale)] for locale in messages}) == 1


def test_the_brief_logo_is_placed_and_an_unreadable_one_fails_the_product_naming_it(world):
    s3, store, service = world
    shot = Image.new("RGB", (1024, 1024), (236, 240, 244))
    ImageDraw.Draw(shot).rounded_rectangle((400, 200, 620, 880), radius=40, fill=(200, 30, 160))
    mark = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(mark).ellipse((0, 0, 199, 199), fill=(20, 170, 60, 255))
    for key, image in ((SOURCE, shot), ("existing-assets/acme/logo.png", mark)):
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        s3.put_object(Bucket=BUCKET, Key=key, Body=buffer.getvalue())
    store.update(CID, lambda manifest: manifest.update(logo_key="existing-assets/acme/logo.png"))
    assert service.handle(CID, 0, SOURCE) == "complete"
    corners = [v["check"]["logo"] for v in store.get(CID)["products"][0]["variants"]]
    assert len(corners) == 5 and all(
        corner in ("top-left", "top-right", "bottom-right", "bottom-left") for corner in corners
    )

    s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/logo.png", Body=b"\x89PNG\r\n\x1a\n truncated")
    store.update_product(CID, 1, status="rendering", source_key=SOURCE)
    assert service.handle(CID, 1, SOURCE) == "failed"
    error = store.get(CID)["products"][1]["error"]
    assert error["code"] == "LogoUnreadable" and "existing-assets/acme/logo.png" in error["message"]
