"""Batch and the image-push updater under mocks, both stacks and both image layouts."""

import json
import re

import pytest

from tools.mock_stack import ACCOUNT_ID, record

pytestmark = pytest.mark.slow  # the real program run under Pulumi's mocks

DIGEST = "@sha256:"


def policy(stack, name):
    return json.loads(stack.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"])["Statement"]


def as_list(value):
    return value if isinstance(value, list) else [value]


def grants(statements, action):
    return [
        r
        for s in statements
        if s["Effect"] == "Allow" and action in as_list(s["Action"])
        for r in as_list(s["Resource"])
    ]


def test_fargate_job_definition_by_digest_with_settings(stack):
    job = stack.one("aws:batch/jobDefinition:JobDefinition")
    container = json.loads(job.inputs["containerProperties"])
    assert container["image"] == stack.outputs["image_uris"]["batch-worker"] and DIGEST in container["image"]
    assert job.inputs["platformCapabilities"] == ["FARGATE"]
    assert {r["type"]: r["value"] for r in container["resourceRequirements"]} == {"VCPU": "1", "MEMORY": "2048"}
    assert job.inputs["retryStrategy"]["attempts"] == 3
    assert job.inputs["timeout"]["attemptDurationSeconds"] == 3600
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert (
        container["logConfiguration"]["options"]["awslogs-group"]
        == f"/aws/batch/creative-automation-{stack.stack}-batch-worker"
    )
    roles = {r.name: r.outputs["arn"] for r in stack.of_type("aws:iam/role:Role")}
    assert container["executionRoleArn"] == roles["worker-execution-role"]
    assert container["jobRoleArn"] == roles["worker-job-role"]
    # No revision in the output: a job submitted with it runs the newest ACTIVE revision (the updater's).
    assert stack.outputs["batch_job_definition"] == job.outputs["arnPrefix"]
    assert re.fullmatch(
        r"arn:aws:batch:[a-z0-9-]+:\d{12}:job-definition/[A-Za-z0-9_-]+", stack.outputs["batch_job_definition"]
    )
    assert stack.outputs["batch_job_queue"] == stack.one("aws:batch/jobQueue:JobQueue").outputs["name"]


def test_compute_environment_uses_the_default_vpc_unless_told_otherwise(stack):
    compute = stack.one("aws:batch/computeEnvironment:ComputeEnvironment")
    resources = compute.inputs["computeResources"]
    assert resources["type"] == "FARGATE" and resources["maxVcpus"] == (16 if stack.stack == "dev" else 32)
    assert resources["subnets"] == ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722", "subnet-0a1b2c3d4e5f60733"]
    group = stack.one("aws:ec2/securityGroup:SecurityGroup")
    [group_id] = resources["securityGroupIds"]
    assert group_id.startswith("sg-"), "the stack-made group"
    assert not group.inputs.get("ingress") and [e["toPort"] for e in group.inputs["egress"]] == [443]
    configured = record(
        "dev", {"batch.subnetIds": ["subnet-0123456789abcdef0"], "batch.securityGroupIds": ["sg-0123456789abcdef0"]}
    )
    resources = configured.one("aws:batch/computeEnvironment:ComputeEnvironment").inputs["computeResources"]
    assert resources["subnets"] == ["subnet-0123456789abcdef0"] and resources["securityGroupIds"] == [
        "sg-0123456789abcdef0"
    ]
    assert configured.of_type("aws:ec2/securityGroup:SecurityGroup") == []


@pytest.mark.parametrize("layout", ["per-service", "consolidated"])
def test_rule_matches_exactly_this_stacks_successful_pushes(layout):
    for stack_name, tag in (("dev", "latest"), ("prod", "v1.0.0")):
        stack = record(stack_name, {"images.layout": layout})
        pattern = json.loads(stack.one("aws:cloudwatch/eventRule:EventRule").inputs["eventPattern"])
        assert pattern["source"] == ["aws.ecr"] and pattern["detail-type"] == ["ECR Image Action"]
        assert pattern["detail"]["action-type"] == ["PUSH"] and pattern["detail"]["result"] == ["SUCCESS"]
        services = ["batch-worker", "generator", "parser", "variants"] if stack_name == "dev" else ["batch-worker"]
        if layout == "per-service":
            assert pattern["detail"]["repository-name"] == [f"creative-automation-{stack_name}-{s}" for s in services]
            assert pattern["detail"]["image-tag"] == [tag]
        else:
            assert pattern["detail"]["repository-name"] == [f"creative-automation-{stack_name}"]
            assert pattern["detail"]["image-tag"] == [f"{s}-{tag}" for s in services]


def test_target_retries_and_keeps_failures_in_an_encrypted_dlq(stack):
    target = stack.one("aws:cloudwatch/eventTarget:EventTarget")
    function = stack.one("aws:lambda/function:Function", "image-updater")
    dlq = next(q for q in stack.of_type("aws:sqs/queue:Queue") if q.inputs["name"].endswith("image-updater-dlq"))
    assert target.inputs["arn"] == function.outputs["arn"]
    assert target.inputs["retryPolicy"] == {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 10}
    assert target.inputs["deadLetterConfig"]["arn"] == dlq.outputs["arn"] and dlq.inputs["sqsManagedSseEnabled"]
    rule = stack.one("aws:cloudwatch/eventRule:EventRule")
    [statement] = json.loads(stack.one("aws:sqs/queuePolicy:QueuePolicy", "updater-dlq-policy").inputs["policy"])[
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}
    permission = stack.one("aws:lambda/permission:Permission")
    assert (
        permission.inputs["sourceArn"] == rule.outputs["arn"]
        and permission.inputs["principal"] == "events.amazonaws.com"
    )
    config = stack.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "updater-async")
    assert config.inputs["destinationConfig"]["onFailure"]["destination"] == dlq.outputs["arn"]
    assert (config.inputs["maximumRetryAttempts"], config.inputs["maximumEventAgeInSeconds"]) == (2, 3600)


def test_updater_may_register_only_this_stacks_job_definition(stack):
    statements = policy(stack, "updater-policy")
    job = f"arn:aws:batch:us-east-1:{ACCOUNT_ID}:job-definition/creative-automation-{stack.stack}-rerender"
    assert sorted(grants(statements, "batch:RegisterJobDefinition")) == [job, job + ":*"]
    assert grants(statements, "batch:DescribeJobDefinitions") == ["*"]  # no resource-level permission exists
    roles = {r.name: r.outputs["arn"] for r in stack.of_type("aws:iam/role:Role")}
    assert sorted(grants(statements, "iam:PassRole")) == sorted(
        [roles["worker-execution-role"], roles["worker-job-role"]]
    )
    env = json.loads(
        stack.one("aws:lambda/function:Function", "image-updater").inputs["environment"]["variables"]["IMAGE_TARGETS"]
    )
    assert {t["job_definition"] for t in env if t["job_definition"]} == {f"creative-automation-{stack.stack}-rerender"}


def test_only_dev_updates_functions_and_only_its_own(dev, prod):
    functions = {f.name: f.outputs["arn"] for f in dev.of_type("aws:lambda/function:Function")}
    assert sorted(grants(policy(dev, "updater-policy"), "lambda:UpdateFunctionCode")) == sorted(
        functions[s] for s in ("parser", "generator", "variants")
    )
    assert grants(policy(prod, "updater-policy"), "lambda:UpdateFunctionCode") == []
    targets = json.loads(
        prod.one("aws:lambda/function:Function", "image-updater").inputs["environment"]["variables"]["IMAGE_TARGETS"]
    )
    assert [t["function"] for t in targets] == [None]


def test_updater_environment_names_the_batch_resources(stack):
    env = stack.one("aws:lambda/function:Function", "image-updater").inputs["environment"]["variables"]
    assert env["BATCH_JOB_DEFINITION_NAME"] == f"creative-automation-{stack.stack}-rerender"
    assert env["BATCH_JOB_QUEUE"] == stack.outputs["batch_job_queue"]


def test_the_job_role_may_only_touch_output_and_invoke_variants(stack):
    statements = policy(stack, "worker-job-policy")
    bucket = stack.one("aws:s3/bucket:Bucket").outputs["arn"]
    assert grants(statements, "s3:GetObject") == [f"{bucket}/output/*"]
    assert grants(statements, "lambda:InvokeFunction") == [
        stack.one("aws:lambda/function:Function", "variants").outputs["arn"]
    ]
    execution = policy(stack, "worker-execution-policy")
    assert grants(execution, "ecr:BatchGetImage") == [
        stack.one("aws:ecr/repository:Repository", "batch-worker-repository").outputs["arn"]
    ]
