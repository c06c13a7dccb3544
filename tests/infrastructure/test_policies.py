"""The policy pack's own policies, applied to the stacks as recorded under mocks and to broken resources."""

import copy
import importlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
)

# The pack's importable module (policy/ is on pytest's pythonpath); building the PolicyPack would start a server.
import guardrails
from tools.mock_stack import Recording, record
from tools.policy_check import as_analyzer_props, as_policy_resources, evaluate

pytestmark = pytest.mark.slow  # the real program run under Pulumi's mocks

POLICY = Path(__file__).parents[2] / "policy"


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
        "prod pushes an exact version tag",
    ),
    (
        "prod",
        "docker:index/image:Image",
        "parser-image",
        _set(
            "imageName", "123456789012.dkr.ecr.us-east-1.amazonaws.com/creative-automation-prod-parser:nightly-v1.0.0"
        ),
        "images-by-digest",
        "not 'nightly-v1.0.0'",
    ),
    (
        "prod",
        "aws:batch/jobDefinition:JobDefinition",
        None,
        _set(
            "ecsProperties",
            json.dumps(
                {
                    "taskProperties": [
                        {
                            "containers": [
                                {"name": "worker", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:v1.0.0"}
                            ]
                        }
                    ]
                }
            ),
        ),
        "images-by-digest",
        "ecsProperties.taskProperties[0].containers[0].image",
    ),
    (
        "prod",
        "aws:lambda/function:Function",
        "generator",
        lambda p: p["environment"]["variables"].__setitem__("MODEL_TAG", "Latest"),
        "no-latest-in-prod",
        "environment.variables.MODEL_TAG is 'Latest'",
    ),
    (
        "prod",
        "aws:batch/jobDefinition:JobDefinition",
        None,
        _container(lambda c: c["environment"].append({"name": "MODEL", "value": "nova:LATEST"})),
        "no-latest-in-prod",
        "containerProperties.environment[3].value is 'nova:LATEST'",
    ),
    (
        "dev",
        "aws:iam/role:Role",
        "parser-role",
        _set("managedPolicyArns", ["arn:aws:iam::aws:policy/AdministratorAccess"]),
        "iam-no-managed-policies",
        "managedPolicyArns attaches 'arn:aws:iam::aws:policy/AdministratorAccess'",
    ),
    (
        "dev",
        "aws:iam/rolePolicy:RolePolicy",
        "updater-policy",
        _policy_add({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
        "iam-passrole-named-roles",
        "iam:PassRole on ['*']",
    ),
    (
        "dev",
        "aws:sqs/queuePolicy:QueuePolicy",
        "briefs-queue-policy",
        _policy_add({"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}),
        "resource-policies-not-public",
        "to Principal '*' with no condition",
    ),
    (
        "prod",
        "aws:sns/topicPolicy:TopicPolicy",
        None,
        _policy_add({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Subscribe", "Resource": "*"}),
        "resource-policies-not-public",
        "allows sns:Subscribe to Principal '*'",
    ),
    (
        "prod",
        "aws:s3/bucketPolicy:BucketPolicy",
        None,
        _policy_add(
            {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:GetObject", "Resource": "*"}
        ),
        "resource-policies-not-public",
        "statement 'Open' allows s3:GetObject",
    ),
    (
        "dev",
        "aws:lambda/permission:Permission",
        "updater-invoke",
        lambda p: p.update(principal="*", sourceArn=None),
        "resource-policies-not-public",
        "principal '*' may invoke the function",
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


def synthetic(stack: str, type_token: str, name: str, props: dict, dependencies=()) -> dict:
    return {
        "type": type_token,
        "name": name,
        "urn": f"urn:pulumi:{stack}::creative-automation::{type_token}::{name}",
        "props": props,
        "dependencies": list(dependencies),
    }


ROUTE = "aws:apigatewayv2/route:Route"
EXTRA_CASES = [  # resources the stacks do not declare (yet): each added alone to a stack must be reported
    (
        synthetic(
            "prod",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "admin",
            {
                "role": "creative-automation-prod-parser-role",
                "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            },
        ),
        "iam-no-managed-policies",
        "policyArn attaches 'arn:aws:iam::aws:policy/AdministratorAccess'",
    ),
    (
        synthetic(
            "dev",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "read-only",
            {"role": "creative-automation-dev-parser-role", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ),
        "iam-no-managed-policies",
        "ReadOnlyAccess",
    ),
    (
        synthetic("prod", "aws:s3/bucketV2:BucketV2", "legacy", {"bucket": "legacy-bucket"}),
        "s3-no-v2-types",
        "aws.s3.BucketV2 is deprecated",
    ),
    (
        synthetic(
            "dev", ROUTE, "open-route", {"apiId": "a1b2c3", "routeKey": "POST /briefs", "authorizationType": "NONE"}
        ),
        "api-routes-authorized",
        "route 'POST /briefs' has no authorizer",
    ),
    (
        synthetic("prod", ROUTE, "default-route", {"apiId": "a1b2c3", "routeKey": "$default"}),
        "api-routes-authorized",
        "route '$default' has no authorizer",
    ),
    (
        synthetic("prod", ROUTE, "jwt-route", {"apiId": "a1b2c3", "routeKey": "GET /x", "authorizationType": "JWT"}),
        "api-routes-authorized",
        "is JWT but names no authorizer_id",
    ),
    (
        synthetic("dev", "aws:apigatewayv2/api:Api", "quick", {"protocolType": "HTTP", "target": "arn:aws:lambda:x"}),
        "api-routes-authorized",
        "quick create",
    ),
]


@pytest.mark.parametrize("wrap", [lambda props: props, as_analyzer_props], ids=["plain", "as-analyzer"])
@pytest.mark.parametrize("extra,policy,message", EXTRA_CASES, ids=[c[0]["name"] for c in EXTRA_CASES])
def test_each_policy_reports_a_resource_added_to_the_stack(extra, policy, message, wrap):
    resources = as_policy_resources(record(guardrails.stack_of(extra["urn"]))) + [copy.deepcopy(extra)]
    violations = evaluate(resources, wrap)
    assert [v[0] for v in violations] == [policy], violations
    assert message in violations[0][1]


def test_a_managed_policy_not_known_until_apply_is_still_reported(dev):
    """In a first preview the ARN of a policy the program creates is unknown: the attachment is reported anyway."""
    attachment = synthetic(
        "dev",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "custom",
        {"role": "creative-automation-dev-parser-role", "policyArn": guardrails.UNKNOWN},
    )
    violations = evaluate(as_policy_resources(dev) + [attachment], as_analyzer_props)
    assert [(v[0], v[1][:45]) for v in violations] == [
        ("iam-no-managed-policies", "policyArn attaches a policy known after apply")
    ]


def test_an_authorized_api_route_passes(dev):
    routes = [
        synthetic("dev", ROUTE, "jwt", {"routeKey": "POST /briefs", "authorizationType": "JWT", "authorizerId": "ab1"}),
        synthetic("dev", ROUTE, "iam", {"routeKey": "GET /status", "authorizationType": "AWS_IAM"}),
    ]
    assert evaluate(as_policy_resources(dev) + routes) == []


def test_a_latest_image_tag_in_prod_fails_as_a_mutable_tag_and_as_no_version(prod):
    violations = broken(
        prod,
        "docker:index/image:Image",
        "variants-image",
        _set("imageName", "123456789012.dkr.ecr.us-east-1.amazonaws.com/creative-automation-prod-variants:Latest"),
    )
    assert sorted(v[0] for v in violations) == ["images-by-digest", "no-latest-in-prod"]


def test_a_public_statement_with_a_condition_passes(prod):
    """Principal '*' narrowed by a condition is how the bucket denies plain HTTP, and how access is tied to a VPC."""
    violations = broken(
        prod,
        "aws:s3/bucketPolicy:BucketPolicy",
        None,
        _policy_add(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::creative-automation-prod-123456789012-us-east-1/output/*",
                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}},
            }
        ),
    )
    assert violations == []


def _mapping_elsewhere(function_name: str, visibility: int | None = None):
    """The stack with the parser's event source mapping pointed at `function_name` by name only (no dependency)."""

    def resources(recording: Recording) -> list[dict]:
        specs = as_policy_resources(recording)
        for spec in specs:
            if spec["name"] == "briefs-to-parser":
                spec["props"]["functionName"] = function_name
                spec["dependencies"] = [d for d in spec["dependencies"] if "lambda/function" not in d]
            if visibility is not None and spec["name"] == "briefs-queue":
                spec["props"]["visibilityTimeoutSeconds"] = visibility
        return specs

    return resources


def test_an_event_source_mapping_to_a_function_outside_the_stack_is_reported_not_skipped(dev):
    resources = _mapping_elsewhere("arn:aws:lambda:us-east-1:123456789012:function:someone-elses-parser")(dev)
    violations = evaluate(resources, as_analyzer_props)
    assert [v[0] for v in violations] == ["lambda-queues-dlq-and-visibility"], violations
    assert (
        "'arn:aws:lambda:us-east-1:123456789012:function:someone-elses-parser', which is not a function"
        in (violations[0][1])
    )
    assert "cannot be checked" in violations[0][1]


@pytest.mark.parametrize(
    "reference",
    [
        "creative-automation-dev-parser",
        "arn:aws:lambda:us-east-1:123456789012:function:creative-automation-dev-parser",
        "arn:aws:lambda:us-east-1:123456789012:function:creative-automation-dev-parser:live",
        "123456789012:function:creative-automation-dev-parser",
    ],
)
def test_a_mapping_names_its_function_in_any_form_lambda_accepts_and_the_visibility_rule_applies(dev, reference):
    parser = dev.one("aws:lambda/function:Function", "parser")
    assert evaluate(_mapping_elsewhere(reference)(dev)) == []
    too_short = _mapping_elsewhere(reference, visibility=int(parser.outputs["timeout"]))(dev)
    violations = evaluate(too_short)
    assert [v[0] for v in violations] == ["lambda-queues-dlq-and-visibility"], violations
    assert f"raise it to at least {6 * parser.outputs['timeout']:g}s" in violations[0][1]


def test_a_mapping_from_a_queue_outside_the_stack_is_reported(dev):
    resources = as_policy_resources(dev)
    for spec in resources:
        if spec["name"] == "briefs-to-parser":
            spec["props"]["eventSourceArn"] = "arn:aws:sqs:us-east-1:123456789012:someone-elses-queue"
            spec["dependencies"] = [d for d in spec["dependencies"] if "sqs/queue" not in d]
    violations = evaluate(resources)
    assert [v[0] for v in violations] == ["lambda-queues-dlq-and-visibility"], violations
    assert "someone-elses-queue', which is not in this stack" in violations[0][1]


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


# --- the pack as Pulumi's analyzer starts it: from a fresh clone, in policy/venv, over gRPC -------------------
# Pulumi (pkg NewPolicyAnalyzer) reads policy/PulumiPolicy.yaml and, for runtime python, runs its
# pulumi-analyzer-policy-python shim in the pack's folder with `<engine> . -virtualenv=venv -toolchain=pip`
# and PULUMI_PROJECT/STACK/DRY_RUN/CONFIG in the environment. The shim needs venv/bin/python to exist (it only
# puts it first on PATH and unsets PYTHONHOME), runs `venv/bin/python -u -m pulumi.policy <engine> .`, and
# reads the port the pack prints on its first line of stdout; the engine then speaks the Analyzer service.
ROOT = POLICY.parent


@pytest.fixture(scope="session")
def fresh_clone(tmp_path_factory) -> Path:
    """The files a clone of this repository has (tracked and new, nothing ignored), with `make policy-venv` run:
    the documented set-up, done once per test session."""
    clone = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    assert not (clone / "policy" / "venv").exists()
    made = subprocess.run(["make", "policy-venv"], cwd=clone, capture_output=True, text=True, timeout=900)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    return clone


@pytest.fixture(scope="session")
def started_pack(fresh_clone):
    pack = fresh_clone / "policy"
    options = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())["runtime"]["options"]
    python = pack / options["virtualenv"] / "bin" / "python"
    assert python.is_file(), f"the analyzer would stop here: {python} is not a virtual environment"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        PATH=f"{python.parent}:{env['PATH']}",
        PULUMI_PROJECT="creative-automation",
        PULUMI_STACK="prod",
        PULUMI_ORGANIZATION="organization",
        PULUMI_DRY_RUN="true",
        PULUMI_CONFIG="{}",
    )
    process = subprocess.Popen(
        [str(python), "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=pack,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), f"the pack printed no port: {port!r}; stderr: {process.stderr.read()[-3000:]}"
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


def configure(analyzer, config_file: str) -> None:
    """What `--policy-pack-config policy/config/<stack>.json` makes the engine send: `all` spread over every policy."""
    level = json.loads((POLICY / "config" / config_file).read_text())["all"]
    names = [p.name for p in analyzer.GetAnalyzerInfo(empty_pb2.Empty()).policies]
    analyzer.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={n: analyzer_pb2.PolicyConfig(enforcementLevel=level.upper()) for n in names}
        )
    )


def _struct(props: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


def analyze(analyzer, resources: list[dict]) -> list[tuple[str, str, int]]:
    """(policy, message, enforcement level) of every diagnostic, resource by resource and for the stack."""
    diagnostics = []
    for spec in resources:
        request = analyzer_pb2.AnalyzeRequest(
            type=spec["type"], name=spec["name"], urn=spec["urn"], properties=_struct(spec["props"])
        )
        diagnostics += analyzer.Analyze(request).diagnostics
    stack = [
        analyzer_pb2.AnalyzerResource(
            type=s["type"], name=s["name"], urn=s["urn"], properties=_struct(s["props"]), dependencies=s["dependencies"]
        )
        for s in resources
    ]
    diagnostics += analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=stack)).diagnostics
    return [(d.policyName, d.message, d.enforcementLevel) for d in diagnostics]


@pytest.mark.slow
@pytest.mark.network
def test_the_pack_starts_as_the_analyzer_starts_it_from_a_fresh_clone(started_pack):
    info = started_pack.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "creative-automation-guardrails"
    assert {p.name for p in info.policies} == {p.name for p in guardrails.policies()}
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY}  # no config: mandatory


@pytest.mark.slow
@pytest.mark.network
@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_the_started_pack_passes_both_stacks_and_fails_a_broken_one(started_pack, stack_name):
    configure(started_pack, f"{stack_name}.json")
    resources = as_policy_resources(record(stack_name))
    assert analyze(started_pack, resources) == []

    # the prod image pushed as `Latest`: refused, and refused mandatorily in prod, advisorily in dev
    image = next(r for r in resources if r["name"] == "parser-image")
    for key in ("imageName", "baseImageName"):
        image["props"][key] = image["props"][key].rsplit(":", 1)[0] + ":Latest"
    image["urn"] = image["urn"].replace(f"urn:pulumi:{stack_name}::", "urn:pulumi:prod::")
    found = analyze(started_pack, [image])
    level = analyzer_pb2.MANDATORY if stack_name == "prod" else analyzer_pb2.ADVISORY
    assert {(policy, lvl) for policy, _, lvl in found} == {("images-by-digest", level), ("no-latest-in-prod", level)}
