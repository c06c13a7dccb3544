"""The policy pack's own policies, applied to the stacks as recorded under mocks and to broken resources."""

import copy
import importlib
import json
from pathlib import Path

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

# The pack's importable module (policy/ is on pytest's pythonpath); building the PolicyPack would start a server.
import guardrails
from tools.mock_stack import Recording, record

pytestmark = pytest.mark.slow  # the real program run under Pulumi's mocks

OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
POLICY = Path(__file__).parents[2] / "policy"


def as_analyzer_props(props: dict):
    """Props as pulumi_policy's analyzer hands them to a policy (policy.py, Analyze and AnalyzeStack): off the
    wire as a protobuf Struct (numbers become floats), deserialized, wrapped in its unknown-checking proxy."""
    struct = struct_pb2.Struct()
    struct.update(props)
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def evaluate(resources: list[dict], wrap=lambda props: props) -> list[tuple[str, str, str | None]]:
    """(policy, message, urn) for every violation the pack reports on these resources.

    Each resource is {type, name, urn, props, dependencies (urns)}; `wrap` presents the props (as_analyzer_props:
    as the real analyzer does). A policy the analyzer would skip for an unknown value is reported as a violation
    too, since it checked nothing."""
    violations = []
    by_urn = {}
    for spec in resources:
        by_urn[spec["urn"]] = PolicyResource(
            spec["type"], wrap(spec["props"]), spec["urn"], spec["name"], OPTIONS, None, None, [], {}
        )
    for spec in resources:
        by_urn[spec["urn"]].dependencies = [by_urn[d] for d in spec.get("dependencies", []) if d in by_urn]
    for policy in guardrails.policies():

        def report(message, urn=None, name=policy.name):
            violations.append((name, message, urn))

        try:
            if isinstance(policy, ResourceValidationPolicy):
                for spec in resources:
                    policy.validate(
                        ResourceValidationArgs(
                            spec["type"], wrap(spec["props"]), spec["urn"], spec["name"], OPTIONS, None
                        ),
                        report,
                    )
            else:
                policy.validate(StackValidationArgs(list(by_urn.values())), report)
        except UnknownValueError as error:
            violations.append((policy.name, f"skipped during preview: {error.message}", None))
    return violations


def as_policy_resources(recording: Recording) -> list[dict]:
    # In a real preview, props hold inputs and whatever outputs are known; the mocks know them all.
    return [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "props": copy.deepcopy(r.outputs),
            "dependencies": r.dependencies,
        }
        for r in recording.resources
        if r.custom
    ]


@pytest.mark.parametrize(
    "stack_name,overrides",
    [
        ("dev", {}),
        ("prod", {}),
        ("dev", {"images.layout": "consolidated"}),
        ("prod", {"images.layout": "consolidated"}),
    ],
)
def test_both_stacks_pass_every_policy(stack_name, overrides):
    recording = record(stack_name, overrides)
    assert evaluate(as_policy_resources(recording)) == []


def test_every_policy_is_exercised_by_the_stacks(dev):
    kinds = {r.type for r in dev.resources}
    for needed in (
        "aws:lambda/function:Function",
        "aws:batch/jobDefinition:JobDefinition",
        "docker:index/image:Image",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:ecr/repository:Repository",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
    ):
        assert needed in kinds


def resource_of(recording: Recording, type_token: str, name: str | None = None) -> dict:
    found = recording.one(type_token, name)
    return {
        "type": found.type,
        "name": found.name,
        "urn": found.urn,
        "props": copy.deepcopy(found.outputs),
        "dependencies": found.dependencies,
    }


def broken(
    recording: Recording, type_token: str, name: str | None, change, wrap=lambda props: props
) -> list[tuple[str, str, str | None]]:
    """The stack with one resource changed by `change(props)`: the violations the pack then reports."""
    resources = as_policy_resources(recording)
    target = recording.one(type_token, name)
    for spec in resources:
        if spec["urn"] == target.urn:
            change(spec["props"])
    return evaluate(resources, wrap)


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
    (
        "dev",
        "aws:lambda/function:Function",
        "parser",
        _set("imageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/creative-automation-dev-parser:latest"),
        "images-by-digest",
        "must reference the image by digest",
    ),
    (
        "prod",
        "aws:batch/jobDefinition:JobDefinition",
        None,
        _container(lambda c: c.__setitem__("image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:v1.0.0")),
        "images-by-digest",
        "containerProperties.image",
    ),
    (
        "prod",
        "docker:index/image:Image",
        "parser-image",
        _set("imageName", "123456789012.dkr.ecr.us-east-1.amazonaws.com/creative-automation-prod-parser:main"),
        "images-by-digest",
        "prod pushes a version tag",
    ),
    (
        "prod",
        "aws:lambda/function:Function",
        "generator",
        lambda p: p["environment"]["variables"].__setitem__("MODEL_TAG", "latest"),
        "no-latest-in-prod",
        "environment.variables.MODEL_TAG",
    ),
    (
        "dev",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        None,
        _set("restrictPublicBuckets", False),
        "bucket-public-access-blocked",
        "restrictPublicBuckets",
    ),
    (
        "dev",
        "aws:iam/rolePolicy:RolePolicy",
        "variants-policy",
        _policy_add({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        "iam-no-wildcard-actions",
        "s3:*",
    ),
    (
        "dev",
        "aws:iam/role:Role",
        "parser-role",
        _set(
            "inlinePolicies",
            [
                {
                    "name": "extra",
                    "policy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": ["sqs:*"], "Resource": "*"}],
                        }
                    ),
                }
            ],
        ),
        "iam-no-wildcard-actions",
        "sqs:*",
    ),
    (
        "dev",
        "aws:cloudwatch/logGroup:LogGroup",
        "parser-logs",
        _set("retentionInDays", None),
        "log-retention-set",
        "retention_in_days",
    ),
    (
        "dev",
        "aws:ecr/repository:Repository",
        "parser-repository",
        _set("imageScanningConfiguration", {"scanOnPush": False}),
        "ecr-scan-and-immutability",
        "scan_on_push",
    ),
    (
        "prod",
        "aws:ecr/repository:Repository",
        "variants-repository",
        _set("imageTagMutability", "MUTABLE"),
        "ecr-scan-and-immutability",
        "IMMUTABLE",
    ),
    (
        "dev",
        "aws:s3/bucketPolicy:BucketPolicy",
        None,
        _set("policy", json.dumps({"Version": "2012-10-17", "Statement": []})),
        "buckets-private-encrypted-tls-only",
        "aws:SecureTransport",
    ),
    (
        "dev",
        "aws:sqs/queue:Queue",
        "briefs-queue",
        _set("redrivePolicy", None),
        "lambda-queues-dlq-and-visibility",
        "no dead-letter queue",
    ),
    (
        "dev",
        "aws:sqs/queue:Queue",
        "briefs-queue",
        _set("visibilityTimeoutSeconds", 900),
        "lambda-queues-dlq-and-visibility",
        "raise it to at least 1800s",
    ),
]


@pytest.mark.parametrize(
    "stack_name,type_token,name,change,policy,message", CASES, ids=[f"{c[4]}:{c[5][:24]}" for c in CASES]
)
def test_each_policy_fails_a_broken_resource_saying_what_to_change(
    stack_name, type_token, name, change, policy, message
):
    violations = broken(record(stack_name), type_token, name, change)
    assert [v[0] for v in violations] == [policy], violations
    assert message in violations[0][1]


def test_a_bucket_without_encryption_or_block_is_reported(dev):
    resources = [
        r
        for r in as_policy_resources(dev)
        if r["type"]
        not in (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        )
    ]
    messages = [m for p, m, _ in evaluate(resources) if p == "buckets-private-encrypted-tls-only"]
    assert any("no default encryption" in m for m in messages)
    assert any("no public access block" in m for m in messages)


def test_dev_may_track_latest_but_prod_may_not(dev):
    assert not [v for v in evaluate(as_policy_resources(dev)) if v[0] == "no-latest-in-prod"]


def run_pack_entry_point(monkeypatch) -> list[dict]:
    """Run policy/__main__.py as `pulumi preview --policy-pack policy` does, recording each PolicyPack it builds
    (the real one would start the policy server)."""
    import runpy

    import pulumi_policy

    built: list[dict] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.append(kwargs))
    importlib.reload(guardrails)  # importing the checks builds nothing
    assert built == []
    runpy.run_path(str(POLICY / "__main__.py"), run_name="__main__")
    return built


def test_the_pack_entry_point_builds_one_pack_of_every_policy_only_when_run(monkeypatch):
    [pack] = run_pack_entry_point(monkeypatch)
    assert pack["name"] == "creative-automation-guardrails"
    assert [policy.name for policy in pack["policies"]] == [policy.name for policy in guardrails.policies()]
    assert len(pack["policies"]) >= 5


# --- as the real analyzer presents props: read-only proxies, numbers as floats, unknowns in preview ---------


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_both_stacks_pass_every_policy_as_the_analyzer_presents_them(stack_name):
    assert evaluate(as_policy_resources(record(stack_name)), as_analyzer_props) == []


@pytest.mark.parametrize(
    "stack_name,type_token,name,change,policy,message", CASES, ids=[f"{c[4]}:{c[5][:24]}" for c in CASES]
)
def test_each_policy_fails_a_broken_resource_as_the_analyzer_presents_it(
    stack_name, type_token, name, change, policy, message
):
    violations = broken(record(stack_name), type_token, name, change, as_analyzer_props)
    assert [v[0] for v in violations] == [policy], violations
    assert message in violations[0][1]


def test_an_unknown_value_is_skipped_and_the_rest_still_checked(prod):
    def change(props):
        props["role"] = guardrails.UNKNOWN  # top level: the whole resource used to go unchecked
        props["environment"]["variables"]["S3_BUCKET_NAME"] = guardrails.UNKNOWN
        props["environment"]["variables"]["MODEL_TAG"] = "latest"

    violations = broken(prod, "aws:lambda/function:Function", "generator", change, as_analyzer_props)
    assert [(v[0], v[1][:30]) for v in violations] == [("no-latest-in-prod", "environment.variables.MODEL_TA")]


def first_preview(recording: Recording) -> list[dict]:
    """The stack as a first `pulumi preview` presents it: computed outputs unknown, and so is every input that
    carries a dependency's computed output (an ARN in a policy document, a redrive policy, an image digest)."""
    computed = {
        r.urn: [v for k, v in r.outputs.items() if k not in r.inputs and isinstance(v, str) and v]
        for r in recording.resources
    }
    resources = as_policy_resources(recording)
    for spec, resource in zip(resources, [r for r in recording.resources if r.custom], strict=False):
        pending = [v for d in spec["dependencies"] for v in computed.get(d, [])]
        spec["props"] = {
            k: guardrails.UNKNOWN if k not in resource.inputs or any(p in json.dumps(v) for p in pending) else v
            for k, v in spec["props"].items()
        }
    return resources


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_a_first_preview_full_of_unknowns_reports_nothing(stack_name):
    resources = first_preview(record(stack_name))
    unknown = {(r["name"], k) for r in resources for k, v in r["props"].items() if v == guardrails.UNKNOWN}
    assert {
        ("briefs-queue", "redrivePolicy"),
        ("bucket-policy", "policy"),
        ("briefs-to-parser", "eventSourceArn"),
        ("parser", "imageUri"),
    } <= unknown
    assert evaluate(resources, as_analyzer_props) == []


# --- enforcement -----------------------------------------------------------------------------------------


def enforcement_levels(config_file: str) -> set[str]:
    config = json.loads((POLICY / "config" / config_file).read_text())
    return {v if isinstance(v, str) else v.get("enforcementLevel") for v in config.values()}


def test_mandatory_by_default_and_in_prod_advisory_only_in_dev(monkeypatch):
    [pack] = run_pack_entry_point(monkeypatch)
    assert pack["enforcement_level"] == EnforcementLevel.MANDATORY  # no --policy-pack-config: mandatory
    assert enforcement_levels("prod.json") == {"mandatory"}
    assert enforcement_levels("dev.json") == {"advisory"}
