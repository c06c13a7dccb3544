"""Cancel, as the functions honour it, against moto S3: products not started are skipped, a running function
finishes its product, a generator finishing after the cancel keeps its image but starts no variants, and a
re-render undoes the cancel."""

import io

import boto3
import pytest
from PIL import Image

from handlers.batch_worker.rerender import rerender
from handlers.generator.placeholder import PlaceholderImages
from handlers.generator.service import GeneratorService
from handlers.shared.lifecycle import request_cancel
from handlers.shared.manifest import ManifestStore, new_manifest
from handlers.variants.service import VariantsService
from tests.quiet import Quiet

BUCKET = "creative-automation-dev-123456789012-us-east-1"
CID = "spring-launch-0a1b2c3d"
SOURCE = "existing-assets/acme/citrus/product.png"


class PaidImages(PlaceholderImages):
    """The offline images at a price, so a kept cost is visible; `during` runs while the image is made."""

    usd_per_image = 0.04

    def __init__(self, during=lambda: None):
        self.during = during

    def generate(self, request, remaining_ms=None):
        self.during()
        return super().generate(request, remaining_ms)


@pytest.fixture
def world(aws_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    store = ManifestStore(s3, BUCKET)
    store.create(
        new_manifest(
            campaign_id=CID,
            brief={"campaign_name": "Spring Launch", "campaign_message": "Fresh start"},
            brief_key="input/campaign-briefs/spring.json",
            products=[
                {"index": 0, "name": "Citrus", "image_source": "existing", "source_key": SOURCE, "status": "rendering"},
                {"index": 1, "name": "Berry", "image_source": "generated", "status": "generating"},
                {"index": 2, "name": "Mint", "image_source": "generated", "status": "pending"},
            ],
        )
    )
    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), (250, 200, 40)).save(buffer, "PNG")
    s3.put_object(Bucket=BUCKET, Key=SOURCE, Body=buffer.getvalue())
    return s3, store


def generator(s3, store, images, invoked):
    return GeneratorService(s3, store, images, Quiet(), Quiet(), invoke=invoked.append)


def test_after_a_cancel_functions_that_start_do_no_work_and_the_campaign_settles_cancelled(world):
    s3, store = world
    store.update(CID, request_cancel)
    assert [p["status"] for p in store.get(CID)["products"]] == ["rendering", "generating", "cancelled"]

    invoked = []
    assert generator(s3, store, PaidImages(), invoked).handle(CID, 1) == "cancelled"
    assert VariantsService(s3, store, Quiet(), Quiet()).handle(CID, 0, SOURCE) == "cancelled"

    manifest = store.get(CID)
    assert manifest["status"] == "cancelled"
    assert [p["status"] for p in manifest["products"]] == ["cancelled", "cancelled", "cancelled"]
    assert invoked == [], "no variants are started for a cancelled campaign"
    assert manifest["total_cost_usd"] == 0, "no image was paid for"
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"output/{CID}/")
    assert [o["Key"] for o in listing.get("Contents", [])] == [f"output/{CID}/manifest.json"]


def test_a_product_finished_before_the_cancel_stays_complete_and_visible(world):
    s3, store = world
    assert VariantsService(s3, store, Quiet(), Quiet()).handle(CID, 0, SOURCE) == "complete"
    store.update(CID, request_cancel)
    generator(s3, store, PaidImages(), []).handle(CID, 1)

    manifest = store.get(CID)
    assert manifest["status"] == "cancelled"
    citrus = manifest["products"][0]
    assert citrus["status"] == "complete" and len(citrus["variants"]) == 5


def test_a_generator_finishing_after_the_cancel_keeps_its_image_and_cost_but_starts_no_variants(world):
    s3, store = world
    invoked = []
    cancel_meanwhile = PaidImages(during=lambda: store.update(CID, request_cancel))
    assert generator(s3, store, cancel_meanwhile, invoked).handle(CID, 1) == "cancelled"

    berry = store.get(CID)["products"][1]
    assert berry["status"] == "cancelled" and berry["variants"] == []
    assert berry["cost_usd"] == pytest.approx(0.04), "the image was paid for: its cost stays on the campaign"
    image = s3.get_object(Bucket=BUCKET, Key=berry["generated_key"])["Body"].read()
    assert image.startswith(b"\x89PNG"), "the image made is kept"
    assert invoked == []
    assert "cancelled while its image was made" in berry["error"]["message"]


def test_a_rendering_function_already_running_finishes_its_product(world):
    s3, store = world
    service = VariantsService(s3, store, Quiet(), Quiet())
    original_get_object = s3.get_object

    def cancel_then_read(**kwargs):  # the cancel lands after the function started, while it reads its source
        store.update(CID, request_cancel)
        return original_get_object(**kwargs)

    service.s3 = type("S3", (), {"get_object": staticmethod(cancel_then_read), "put_object": s3.put_object})()
    assert service.handle(CID, 0, SOURCE) == "complete"
    assert store.get(CID)["products"][0]["status"] == "complete"


def test_a_rerender_clears_the_cancel_and_renders_the_products_with_an_image(world):
    s3, store = world
    store.update(CID, request_cancel)
    VariantsService(s3, store, Quiet(), Quiet()).handle(CID, 0, SOURCE)
    generator(s3, store, PaidImages(), []).handle(CID, 1)
    assert store.get(CID)["status"] == "cancelled"

    invoked = []
    assert rerender(store, CID, invoked.append) == [0]
    manifest = store.get(CID)
    assert "cancel_requested_at" not in manifest
    assert manifest["status"] == "processing"
    VariantsService(s3, store, Quiet(), Quiet()).handle(CID, 0, SOURCE)
    manifest = store.get(CID)
    assert manifest["products"][0]["status"] == "complete"
    assert manifest["status"] == "partial", "the products cancelled before they had an image stay undelivered"


def test_a_render_that_read_a_cancel_a_re_render_has_since_withdrawn_renders_its_product(world):
    s3, store = world
    store.update(CID, request_cancel)
    stale = store.read(CID)  # what the variants function read: cancel asked for
    rerender(store, CID, lambda payload: None)  # a re-render withdraws it and reopens the product
    service = VariantsService(s3, store, Quiet(), Quiet())
    real_read = store.read
    reads = iter([stale])
    store.read = lambda campaign_id: next(reads, None) or real_read(campaign_id)
    assert service.handle(CID, 0, SOURCE) == "complete"
    citrus = store.get(CID)["products"][0]
    assert citrus["status"] == "complete" and len(citrus["variants"]) == 5
