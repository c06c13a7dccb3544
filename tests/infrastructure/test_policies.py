"""The policy pack's own policies, applied to the stacks as recorded under mocks and to broken resources."""

import copy
import json
import sys
from pathlib import Path

import pytest
from pulumi_policy import (PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions, ResourceValidationArgs,
                           ResourceValidationPolicy, StackValidationArgs)

sys.path.insert(0, str(Path(__file__).parents[2] / "policy"))
import guardrails  # noqa: E402  (the pack's importable module; building the PolicyPack would start a server)

from tools.mock_stack import Recording, record  # noqa: E402

OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def evaluate(resources: list[dict]) -> list[tuple[str, str, str | None]]:
    """(policy, message, urn) for every violation the pack reports on these resources.

    Each resource is {type, name, urn, props, dependencies (urns)}, as the engine would present them."""
    violations = []
    by_urn = {}
    for spec in resources:
        by_urn[spec["urn"]] = PolicyResource(spec["type"], spec["props"], spec["urn"], spec["name"], OPTIONS, None,
                                             None, [], {})
    for spec in resources:
        by_urn[spec["urn"]].dependencies = [by_urn[d] for d in spec.get("dependencies", []) if d in by_urn]
    for policy in guardrails.policies():
        report = lambda message, urn=None, name=policy.name: violations.append((name, message, urn))
        if isinstance(policy, ResourceValidationPolicy):
            for spec in resources:
                policy.validate(ResourceValidationArgs(spec["type"], spec["props"], spec["urn"], spec["name"],
                                                          OPTIONS, None), report)
        else:
            policy.validate(StackValidationArgs(list(by_urn.values())), report)
    return violations


def as_policy_resources(recording: Recording) -> list[dict]:
    # In a real preview, props hold inputs and whatever outputs are known; the mocks know them all.
    return [{"type": r.type, "name": r.name, "urn": r.urn, "props": copy.deepcopy(r.outputs), "dependencies": r.dependencies}
            for r in recording.resources if r.custom]


@pytest.mark.parametrize("stack_name,overrides", [("dev", {}), ("prod", {}), ("dev", {"images.layout": "consolidated"}),
                                                  ("prod", {"images.layout": "consolidated"})])
def test_both_stacks_pass_every_policy(stack_name, overrides):
    recording = record(stack_name, overrides)
    assert evaluate(as_policy_resources(recording)) == []


def test_every_policy_is_exercised_by_the_stacks(dev):
    kinds = {r.type for r in dev.resources}
    for needed in ("aws:lambda/function:Function", "aws:batch/jobDefinition:JobDefinition", "docker:index/image:Image",
                   "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:iam/rolePolicy:RolePolicy",
                   "aws:cloudwatch/logGroup:LogGroup", "aws:ecr/repository:Repository",
                   "aws:lambda/eventSourceMapping:EventSourceMapping"):
        assert needed in kinds


def resource_of(recording: Recording, type_token: str, name: str | None = None) -> dict:
    found = recording.one(type_token, name)
    return {"type": found.type, "name": found.name, "urn": found.urn, "props": copy.deepcopy(found.outputs),
            "dependencies": found.dependencies}


def broken(recording: Recording, type_token: str, name: str | None, change) -> list[tuple[str, str, str | None]]:
    """The stack with one resource changed by `change(props)`: the violations the pack then reports."""
    resources = as_policy_resources(recording)
    target = recording.one(type_token, name)
    for spec in resources:
        if spec["urn"] == target.urn:
            change(spec["props"])
    return evaluate(resources)


def _set(key, value):
    return lambda props: props.__setitem__(key, value)


def _policy_add(statement):
    def change(props):
        document = json.loads(props["policy"])
        document["Statement"].append(statement)
        props["policy"] = json.dumps(document)
    return change


def _container(change):
    def apply(props):
        container = json.loads(props["containerProperties"])
        change(container)
        props["containerProperties"] = json.dumps(container)
    return apply


CASES = [
    ("dev", "aws:lambda/function:Function", "parser",
     _set("imageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/creative-automation-dev-parser:latest"),
     "images-by-digest", "must reference the image by digest"),
    ("prod", "aws:batch/jobDefinition:JobDefinition", None,
     _container(lambda c: c.__setitem__("image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:v1.0.0")),
     "images-by-digest", "containerProperties.image"),
    ("prod", "docker:index/image:Image", "parser-image",
     _set("imageName", "123456789012.dkr.ecr.us-east-1.amazonaws.com/creative-automation-prod-parser:main"),
     "images-by-digest", "prod pushes a version tag"),
    ("prod", "aws:lambda/function:Function", "generator",
     lambda p: p["environment"]["variables"].__setitem__("MODEL_TAG", "latest"),
     "no-latest-in-prod", "environment.variables.MODEL_TAG"),
    ("dev", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", None, _set("restrictPublicBuckets", False),
     "bucket-public-access-blocked", "restrictPublicBuckets"),
    ("dev", "aws:iam/rolePolicy:RolePolicy", "variants-policy",
     _policy_add({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}), "iam-no-wildcard-actions", "s3:*"),
    ("dev", "aws:cloudwatch/logGroup:LogGroup", "parser-logs", _set("retentionInDays", None),
     "log-retention-set", "retention_in_days"),
    ("dev", "aws:ecr/repository:Repository", "parser-repository", _set("imageScanningConfiguration", {"scanOnPush": False}),
     "ecr-scan-and-immutability", "scan_on_push"),
    ("prod", "aws:ecr/repository:Repository", "variants-repository", _set("imageTagMutability", "MUTABLE"),
     "ecr-scan-and-immutability", "IMMUTABLE"),
    ("dev", "aws:s3/bucketPolicy:BucketPolicy", None,
     _set("policy", json.dumps({"Version": "2012-10-17", "Statement": []})),
     "buckets-private-encrypted-tls-only", "aws:SecureTransport"),
    ("dev", "aws:sqs/queue:Queue", "briefs-queue", _set("redrivePolicy", None),
     "lambda-queues-dlq-and-visibility", "no dead-letter queue"),
    ("dev", "aws:sqs/queue:Queue", "briefs-queue", _set("visibilityTimeoutSeconds", 900),
     "lambda-queues-dlq-and-visibility", "raise it to at least 1800s"),
]


@pytest.mark.parametrize("stack_name,type_token,name,change,policy,message", CASES,
                         ids=[f"{c[4]}:{c[5][:24]}" for c in CASES])
def test_each_policy_fails_a_broken_resource_saying_what_to_change(stack_name, type_token, name, change, policy, message):
    violations = broken(record(stack_name), type_token, name, change)
    assert [v[0] for v in violations] == [policy], violations
    assert message in violations[0][1]


def test_a_bucket_without_encryption_or_block_is_reported(dev):
    resources = [r for r in as_policy_resources(dev) if r["type"] not in (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")]
    messages = [m for p, m, _ in evaluate(resources) if p == "buckets-private-encrypted-tls-only"]
    assert any("no default encryption" in m for m in messages)
    assert any("no public access block" in m for m in messages)


def test_dev_may_track_latest_but_prod_may_not(dev):
    assert not [v for v in evaluate(as_policy_resources(dev)) if v[0] == "no-latest-in-prod"]


def test_the_pack_entry_point_builds_the_pack_only_when_run():
    source = (Path(__file__).parents[2] / "policy" / "__main__.py").read_text()
    assert "PolicyPack(" in source
    assert "PolicyPack(" not in (Path(__file__).parents[2] / "policy" / "guardrails.py").read_text()
