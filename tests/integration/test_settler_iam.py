"""The settler under the IAM the stack grants it: S3 answers through tests/iam_enforced.py (AccessDenied where the
settler's role policy, as the dev stack declares it under the mocks, does not allow), because moto allows
everything. An orphaned campaign (an open marker whose manifest is gone) must be settled and its marker removed."""

import copy
import json

import boto3
import pytest

from handlers.settler.records import failed_rerender, lost_product
from handlers.settler.service import SettlerService
from handlers.shared.bucket_layout import open_marker_key
from handlers.shared.manifest import ManifestStore
from handlers.shared.telemetry import logger_and_metrics
from tests.aws_events import fixture
from tests.iam_enforced import AuthorizedS3, allowed
from tests.integration.test_settler import BUCKET, STUCK_AFTER, campaign, long_ago, on_failure_body
from tools.mock_stack import record

S3_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket")


@pytest.fixture(scope="module")
def settler_policy() -> dict:
    [policy] = [p for p in record("dev").of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "settler-policy"]
    document: dict = json.loads(policy.outputs["policy"])
    assert f"arn:aws:s3:::{BUCKET}" in json.dumps(document), "the test bucket is the stack's bucket"
    return document


@pytest.fixture
def moto_s3(aws_endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    return s3


def settler_under(policy: dict, moto_s3) -> tuple[SettlerService, AuthorizedS3]:
    s3 = AuthorizedS3(moto_s3, policy)
    logger, metrics = logger_and_metrics("settler")
    return SettlerService(ManifestStore(s3, BUCKET), logger, metrics, STUCK_AFTER), s3


def orphan(moto_s3, campaign_id: str) -> None:
    """An open marker whose campaign's manifest is gone (deleted by hand, or by the output lifecycle)."""
    moto_s3.put_object(Bucket=BUCKET, Key=open_marker_key(campaign_id), Body=b"")


def marker_left(moto_s3, campaign_id: str) -> bool:
    listing = moto_s3.list_objects_v2(Bucket=BUCKET, Prefix=open_marker_key(campaign_id))
    return bool(listing.get("Contents"))


def test_the_client_denies_what_the_policy_does_not_allow(settler_policy, moto_s3):
    s3 = AuthorizedS3(moto_s3, settler_policy)
    for call in (
        lambda: s3.list_objects_v2(Bucket=BUCKET, Prefix="output/"),
        lambda: s3.list_objects_v2(Bucket=BUCKET),
        lambda: s3.get_object(Bucket=BUCKET, Key="input/campaign-briefs/a.json"),
        lambda: s3.delete_object(Bucket=BUCKET, Key="output/c-1/manifest.json"),
    ):
        with pytest.raises(Exception, match="AccessDenied"):
            call()
    # a missing manifest: 403, not 404, because the policy lists no folder unconditionally (S3 GetObject docs)
    with pytest.raises(Exception, match="AccessDenied"):
        s3.get_object(Bucket=BUCKET, Key="output/gone-1/manifest.json")
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="output/gone-1/manifest.json", MaxKeys=1)["KeyCount"] == 0


def test_an_orphaned_campaign_is_settled_and_its_marker_removed(settler_policy, moto_s3):
    service, _ = settler_under(settler_policy, moto_s3)
    orphan(moto_s3, "orphan-1")
    outcome = service.sweep()
    assert outcome.closed == ["orphan-1"]
    assert not marker_left(moto_s3, "orphan-1")
    assert service.sweep().open == 0, "nothing left for the next sweep"


def test_under_the_listing_the_settler_had_the_orphan_stays_forever(settler_policy, moto_s3):
    """The policy before: listing only output/_open/*. The manifest read's 403 cannot be told apart from a read it
    may not make, the marker is "not swept" at every sweep. The enforcing client shows it; moto alone did not."""
    before = copy.deepcopy(settler_policy)
    for statement in before["Statement"]:
        if statement["Action"] == ["s3:ListBucket"]:
            statement["Condition"]["StringLike"]["s3:prefix"] = ["output/_open/*"]
    service, _ = settler_under(before, moto_s3)
    orphan(moto_s3, "orphan-2")
    for _ in range(2):
        outcome = service.sweep()
        assert (outcome.open, outcome.closed) == (1, [])
    assert marker_left(moto_s3, "orphan-2")


def test_the_policy_grants_the_settlers_s3_calls_and_no_more(settler_policy, moto_s3):
    """Every S3 call of every path of the settler (a stuck campaign swept, an orphan, a lost product, a failed
    re-render) is allowed, and every S3 grant of the policy is used by one of them."""
    service, s3 = settler_under(settler_policy, moto_s3)
    store = ManifestStore(moto_s3, BUCKET)
    campaign(store, "stuck-1", ["rendering", "complete"], updated_at=long_ago())
    campaign(store, "lost-0a1b2c3d", ["generating"])
    campaign(store, "rerendered-1", ["complete"])
    orphan(moto_s3, "orphan-3")

    outcome = service.sweep()
    assert sorted(outcome.closed) == ["orphan-3", "rerendered-1", "stuck-1"] and outcome.settled_now == ["stuck-1"]
    assert service.settle_lost(lost_product(on_failure_body("lost-0a1b2c3d", 0)))
    event = copy.deepcopy(fixture("batchdoc_job-state-change-failed.json"))
    event["detail"]["parameters"] = {"campaign_id": "rerendered-1"}
    assert service.settle_failed_rerender(failed_rerender(event))
    assert store.get("stuck-1")["status"] == "partial" and store.get("lost-0a1b2c3d")["status"] == "failed"

    denied = [call for call in s3.calls if not allowed(settler_policy, call[0], call[1], call[2])]
    assert denied == []
    s3_statements = [s for s in settler_policy["Statement"] if set(s["Action"]) <= set(S3_ACTIONS)]
    unused = [
        statement
        for statement in s3_statements
        if not any(allowed({"Statement": [statement]}, *call) for call in s3.calls)
    ]
    assert unused == []
    patterns = next(s for s in s3_statements if s["Action"] == ["s3:ListBucket"])["Condition"]["StringLike"]
    for pattern in patterns["s3:prefix"]:  # each listing pattern, too, is one the settler lists
        assert any(
            call[0] == "s3:ListBucket"
            and allowed(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:ListBucket",
                            "Resource": "*",
                            "Condition": {"StringLike": {"s3:prefix": pattern}},
                        }
                    ]
                },
                *call,
            )
            for call in s3.calls
        ), pattern
