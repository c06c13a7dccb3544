"""Manifest store against moto S3: conditional create and update, concurrent writers, settling."""

import threading
from dataclasses import replace

import boto3
import pytest
from botocore.exceptions import ClientError

from handlers.shared.manifest import CONTENTION_BACKOFF, ManifestStore, new_manifest, settle

BUCKET = "creative-automation-test-bucket"


@pytest.fixture
def store(aws_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return ManifestStore(s3, BUCKET, backoff=replace(CONTENTION_BACKOFF, base_delay=0.001, max_delay=0.01))


def campaign(n_products: int, campaign_id: str = "summer-splash-2026-a1b2c3d4") -> dict:
    brief = {"campaign_name": "Summer Splash 2026", "campaign_message": "Stay cool"}
    products = [
        {"index": i, "name": f"Product {i}", "image_source": "generated", "source_key": None} for i in range(n_products)
    ]
    return new_manifest(
        campaign_id=campaign_id, brief=brief, brief_key="input/campaign-briefs/a.json", products=products
    )


def test_create_is_once_only(store):
    first, created = store.create(campaign(2))
    again, created_again = store.create(campaign(2))
    assert created and not created_again
    assert again["created_at"] == first["created_at"]


def test_twenty_concurrent_product_updates_are_all_kept(store):
    store.create(campaign(20))
    barrier = threading.Barrier(20)
    errors = []

    def finish(index):
        try:
            barrier.wait()
            store.update_product(
                "summer-splash-2026-a1b2c3d4",
                index,
                status="complete",
                cost_usd=0.04,
                variants=[
                    {"name": "instagram-square", "width": 1080, "height": 1080, "key": f"output/x/variants/{index}.jpg"}
                ],
            )
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = store.get("summer-splash-2026-a1b2c3d4")
    assert [p["status"] for p in final["products"]] == ["complete"] * 20
    assert all(len(p["variants"]) == 1 for p in final["products"])
    assert final["status"] == "complete"
    assert final["total_cost_usd"] == pytest.approx(0.8)


@pytest.mark.parametrize(
    "statuses,expected",
    [
        (["complete", "complete"], "complete"),
        (["complete", "failed"], "partial"),
        (["failed", "failed"], "failed"),
        (["complete", "rendering"], "processing"),
    ],
)
def test_campaign_status_settles_when_the_last_product_does(statuses, expected):
    manifest = campaign(2)
    for product, status in zip(manifest["products"], statuses, strict=False):
        product["status"] = status
    assert settle(manifest)["status"] == expected


def test_unknown_status_is_refused(store):
    store.create(campaign(1))
    with pytest.raises(ValueError, match="'done'"):
        store.update_product("summer-splash-2026-a1b2c3d4", 0, status="done")


def test_on_settled_fires_once_in_the_writer_that_settles_the_campaign(store):
    settled = []
    store.on_settled = settled.append
    store.create(campaign(2))
    store.update_product("summer-splash-2026-a1b2c3d4", 0, status="complete")
    assert settled == []
    store.update_product("summer-splash-2026-a1b2c3d4", 1, status="failed", error={"code": "X", "message": "y"})
    store.update_product("summer-splash-2026-a1b2c3d4", 1, status="failed", error={"code": "X", "message": "z"})
    assert [m["status"] for m in settled] == ["partial"]


def test_a_missing_manifest_is_not_found_even_where_s3_answers_403_for_missing_keys(store):
    """Without an unconditional s3:ListBucket S3 answers a GetObject of a missing key with 403 AccessDenied; the
    store lists the key to tell "not written yet" from "not allowed"."""
    from botocore.stub import Stubber

    key = "output/autumn-0a1b2c3d/manifest.json"
    with Stubber(store.s3) as stub:
        stub.add_client_error(
            "get_object", "AccessDenied", "Access Denied", 403, expected_params={"Bucket": BUCKET, "Key": key}
        )
        stub.add_response("list_objects_v2", {"KeyCount": 0}, {"Bucket": BUCKET, "Prefix": key, "MaxKeys": 1})
        assert store.get("autumn-0a1b2c3d") is None
        # A manifest that is there but may not be read stays an error: nothing is silently taken for missing.
        stub.add_client_error(
            "get_object", "AccessDenied", "Access Denied", 403, expected_params={"Bucket": BUCKET, "Key": key}
        )
        stub.add_response(
            "list_objects_v2",
            {"KeyCount": 1, "Contents": [{"Key": key}]},
            {"Bucket": BUCKET, "Prefix": key, "MaxKeys": 1},
        )
        with pytest.raises(ClientError, match="AccessDenied"):
            store.get("autumn-0a1b2c3d")
