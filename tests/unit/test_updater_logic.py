"""Image-push updater logic (pure): ECR events, job-definition rewriting wherever the image sits."""

import pytest

from handlers.image_updater.events import Ignored, Push, parse
from handlers.shared import jobdefs
from tests.aws_events import fixture

REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/creative-automation-dev-batch-worker"
OLD = REPO + "@sha256:" + "a" * 64
NEW = REPO + "@sha256:" + "b" * 64
OTHER = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"


@pytest.mark.parametrize("name", ["ecrdoc_image-push.json", "lambdago_ecr-image-push-event.json"])
def test_documented_pushes_parse_even_with_their_short_digest(name):
    push = parse(fixture(name))
    assert isinstance(push, Push)
    assert push.digest == "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"
    assert push.image_uri == (
        "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name@"
        "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"
    )
    assert push.tag == "latest"


@pytest.mark.parametrize(
    "name,reason",
    [
        ("ecrdoc_image-delete.json", "action 'DELETE' is not PUSH"),
        ("ecrdoc_image-scan-basic.json", "'ECR Image Scan' is not an image push"),
        ("lambdago_ecr-image-scan-event.json", "'ECR Image Scan' is not an image push"),
        ("powertools_eventBridgeEvent.json", "source 'aws.ec2' is not aws.ecr"),
        ("powertools_s3EventBridgeNotificationObjectCreatedEvent.json", "source 'aws.s3' is not aws.ecr"),
    ],
)
def test_everything_but_a_successful_push_is_ignored_with_a_reason(name, reason):
    assert parse(fixture(name)) == Ignored(reason)


def test_failed_and_untagged_pushes_are_ignored():
    event = fixture("ecrdoc_image-push.json")
    event["detail"]["result"] = "FAILURE"
    assert "FAILURE" in parse(event).reason
    event = fixture("ecrdoc_image-push.json")
    del event["detail"]["image-tag"]
    assert "untagged" in parse(event).reason


DESCRIBED = {
    "jobDefinitionName": "creative-automation-dev-rerender",
    "jobDefinitionArn": "arn:aws:batch:us-east-1:123456789012:job-definition/creative-automation-dev-rerender:7",
    "revision": 7,
    "status": "ACTIVE",
    "type": "container",
    "containerOrchestrationType": "ECS",
    "parameters": {"campaign_id": "none"},
    "retryStrategy": {"attempts": 3},
    "timeout": {"attemptDurationSeconds": 600},
    "tags": {"team": "creative"},
    "platformCapabilities": ["FARGATE"],
    "propagateTags": True,
}
PLACEMENTS = {
    "containerProperties": {"containerProperties": {"image": OLD, "command": ["Ref::campaign_id"]}},
    "nodeProperties": {
        "nodeProperties": {
            "numNodes": 2,
            "mainNode": 0,
            "nodeRangeProperties": [
                {"targetNodes": "0", "container": {"image": OLD}},
                {"targetNodes": "1", "container": {"image": OLD}},
            ],
        }
    },
    "ecsProperties": {
        "ecsProperties": {
            "taskProperties": [
                {
                    "containers": [
                        {"name": "worker", "image": OLD, "essential": True},
                        {"name": "log-router", "image": OTHER},
                    ]
                }
            ]
        }
    },
    "eksProperties": {
        "eksProperties": {
            "podProperties": {
                "initContainers": [{"name": "init", "image": REPO + ":latest"}],
                "containers": [{"name": "worker", "image": OLD}, {"name": "sidecar", "image": OTHER}],
            }
        }
    },
}


@pytest.mark.parametrize("placement", list(PLACEMENTS))
def test_a_new_revision_changes_only_this_repositorys_images(placement):
    described = {**DESCRIBED, **PLACEMENTS[placement]}
    assert jobdefs.uses_repository(described, REPO) and not jobdefs.is_current(described, REPO, NEW)
    args = jobdefs.registration(described, REPO, NEW, {"image-updater:previous-revision": "7"})
    assert not set(jobdefs.DESCRIBE_ONLY) & set(args)
    assert [i for i in jobdefs.images(args) if i.startswith(REPO)] and all(
        i == NEW for i in jobdefs.images(args) if i.startswith(REPO)
    )
    assert [i for i in jobdefs.images(args) if not i.startswith(REPO)] == [
        i for i in jobdefs.images(described) if not i.startswith(REPO)
    ], "other images untouched"
    assert args["tags"] == {"team": "creative", "image-updater:previous-revision": "7"}
    unchanged = {
        k: v for k, v in described.items() if k not in jobdefs.DESCRIBE_ONLY and k != "tags" and k != placement
    }
    assert {k: v for k, v in args.items() if k in unchanged} == unchanged
    assert described[placement] != args[placement] and jobdefs.images(described)[0] in (OLD, REPO + ":latest")
    assert jobdefs.is_current(args, REPO, NEW)


def test_newest_active_revision_wins():
    revisions = [
        {"revision": 3, "status": "ACTIVE"},
        {"revision": 9, "status": "INACTIVE"},
        {"revision": 5, "status": "ACTIVE"},
    ]
    assert jobdefs.newest_active(revisions)["revision"] == 5
    assert jobdefs.newest_active([]) is None


def test_a_repository_prefix_is_not_the_repository():
    assert not jobdefs.from_repository(REPO + "-old@sha256:" + "a" * 64, REPO)
