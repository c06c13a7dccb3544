"""The Batch worker's re-render against moto S3: every product with a source goes back to variants."""

import boto3
from moto import mock_aws

from handlers.batch_worker.__main__ import main
from handlers.batch_worker.rerender import rerender
from handlers.shared.manifest import ManifestStore, new_manifest

BUCKET = "creative-automation-dev-123456789012-us-east-1"


def test_rerender_reopens_and_invokes_each_product_with_a_source(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        store = ManifestStore(s3, BUCKET)
        manifest = new_manifest(
            campaign_id="c-1",
            brief={"campaign_name": "C", "campaign_message": "M"},
            brief_key="input/campaign-briefs/c.json",
            products=[
                {
                    "index": 0,
                    "name": "A",
                    "image_source": "existing",
                    "source_key": "existing-assets/a.png",
                    "status": "complete",
                },
                {"index": 1, "name": "B", "image_source": "generated", "source_key": None, "status": "failed"},
            ],
        )
        store.create(manifest)
        calls = []
        assert rerender(store, "c-1", lambda payload: calls.append((payload.FUNCTION, payload.to_event()))) == [0]
        assert calls == [
            (
                "VARIANTS_FUNCTION",
                {"campaign_id": "c-1", "product_index": 0, "bucket": BUCKET, "source_key": "existing-assets/a.png"},
            )
        ]
        assert [p["status"] for p in store.get("c-1")["products"]] == ["rendering", "failed"]


def test_the_job_refuses_to_run_without_a_campaign(capsys):
    assert main([]) == 2 and main(["none"]) == 2
    assert "usage" in capsys.readouterr().err
