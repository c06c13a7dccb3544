"""Batch and the image-push updater under mocks, both stacks and both image layouts."""

import json
import re

import pytest
from moto.events.models import EventPattern

from tests.aws_events import fixture
from tools.mock_stack import ACCOUNT_ID, record, stand_ins

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
    # No campaign id (2) or a missing campaign (3) ends the job at once; any other failure is retried.
    assert job.inputs["retryStrategy"]["evaluateOnExits"] == [
        {"onExitCode": "2", "action": "EXIT"},
        {"onExitCode": "3", "action": "EXIT"},
    ]
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


def test_dev_uses_the_default_vpc_with_public_ips_unless_told_otherwise(dev):
    compute = dev.one("aws:batch/computeEnvironment:ComputeEnvironment")
    resources = compute.inputs["computeResources"]
    assert resources["type"] == "FARGATE" and resources["maxVcpus"] == 16
    assert resources["subnets"] == ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722", "subnet-0a1b2c3d4e5f60733"]
    group = dev.one("aws:ec2/securityGroup:SecurityGroup")
    [group_id] = resources["securityGroupIds"]
    assert group_id.startswith("sg-"), "the stack-made group"
    assert not group.inputs.get("ingress") and [e["toPort"] for e in group.inputs["egress"]] == [443]
    container = json.loads(dev.one("aws:batch/jobDefinition:JobDefinition").inputs["containerProperties"])
    assert container["networkConfiguration"] == {"assignPublicIp": "ENABLED"}  # default-VPC subnets are public
    configured = record(
        "dev", {"batch.subnetIds": ["subnet-0123456789abcdef0"], "batch.securityGroupIds": ["sg-0123456789abcdef0"]}
    )
    resources = configured.one("aws:batch/computeEnvironment:ComputeEnvironment").inputs["computeResources"]
    assert resources["subnets"] == ["subnet-0123456789abcdef0"] and resources["securityGroupIds"] == [
        "sg-0123456789abcdef0"
    ]
    assert configured.of_type("aws:ec2/securityGroup:SecurityGroup") == []


def test_prod_runs_in_the_configured_private_subnets_without_a_public_ip(prod):
    resources = prod.one("aws:batch/computeEnvironment:ComputeEnvironment").inputs["computeResources"]
    assert resources["maxVcpus"] == 32
    assert resources["subnets"] == ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    assert resources["securityGroupIds"] == ["sg-0123456789abcdef0"]
    assert prod.of_type("aws:ec2/securityGroup:SecurityGroup") == []
    container = json.loads(prod.one("aws:batch/jobDefinition:JobDefinition").inputs["containerProperties"])
    assert container["networkConfiguration"] == {"assignPublicIp": "DISABLED"}


@pytest.mark.parametrize("key", ["batch.subnetIds", "batch.securityGroupIds"])
def test_prod_without_explicit_subnets_or_groups_fails_naming_the_key(key):
    recording = record("prod", {key: []})
    assert f"creative-automation:{key} is empty: prod runs its Batch tasks in private subnets" in recording.error
    assert recording.resources == []


@pytest.mark.parametrize("layout", ["per-service", "consolidated"])
def test_rule_matches_exactly_this_stacks_successful_pushes(layout):
    stack = record("dev", {"images.layout": layout})
    pattern = json.loads(stack.one("aws:cloudwatch/eventRule:EventRule", "image-pushed").inputs["eventPattern"])
    assert pattern["source"] == ["aws.ecr"] and pattern["detail-type"] == ["ECR Image Action"]
    assert pattern["detail"]["action-type"] == ["PUSH"] and pattern["detail"]["result"] == ["SUCCESS"]
    services = ["api", "batch-worker", "generator", "parser", "settler", "variants"]
    if layout == "per-service":
        assert pattern["detail"]["repository-name"] == [f"creative-automation-dev-{s}" for s in services]
        assert pattern["detail"]["image-tag"] == ["latest"]
    else:
        assert pattern["detail"]["repository-name"] == ["creative-automation-dev"]
        assert pattern["detail"]["image-tag"] == [f"{s}-latest" for s in services]


@pytest.mark.parametrize("layout", ["per-service", "consolidated"])
def test_a_pinned_stack_has_no_updater_so_only_pulumi_up_changes_its_code(layout):
    """Prod runs exactly the digests `pulumi up` deployed: no rule watches its pushes, no function may register a
    job-definition revision or update a function, and the job definition output is the one Pulumi registered."""
    prod = record("prod", {"images.layout": layout})
    assert prod.error is None, prod.error
    # The EventBridge rules are the settler's schedule and the failed Batch jobs: nothing watches image pushes.
    rules = prod.of_type("aws:cloudwatch/eventRule:EventRule")
    assert sorted(r.name for r in rules) == ["failed-jobs", "sweep"]
    assert not any("aws.ecr" in str(r.inputs.get("eventPattern")) for r in rules)
    settler = prod.one("aws:lambda/function:Function", "settler").outputs["arn"]
    functions = {f.outputs["arn"] for f in prod.of_type("aws:lambda/function:Function")}
    assert {t.inputs["arn"] for t in prod.of_type("aws:cloudwatch/eventTarget:EventTarget")} & functions == {settler}
    assert "image-updater" not in prod.outputs["function_names"]
    assert sorted(f.name for f in prod.of_type("aws:lambda/function:Function")) == [
        "api",
        "generator",
        "parser",
        "settler",
        "variants",
    ]
    every_grant = [
        a
        for p in prod.of_type("aws:iam/rolePolicy:RolePolicy")
        for s in json.loads(p.inputs["policy"])["Statement"]
        for a in as_list(s["Action"])
    ]
    for action in ("batch:RegisterJobDefinition", "lambda:UpdateFunctionCode", "iam:PassRole"):
        assert action not in every_grant
    job = prod.one("aws:batch/jobDefinition:JobDefinition")
    assert prod.outputs["batch_job_definition"] == job.outputs["arnPrefix"]
    assert "image_updater_dlq_url" not in prod.outputs


def test_target_retries_and_keeps_failures_in_an_encrypted_dlq(dev):
    stack = dev
    target = stack.one("aws:cloudwatch/eventTarget:EventTarget", "updater-target")
    function = stack.one("aws:lambda/function:Function", "image-updater")
    dlq = next(q for q in stack.of_type("aws:sqs/queue:Queue") if q.inputs["name"].endswith("image-updater-dlq"))
    assert target.inputs["arn"] == function.outputs["arn"]
    assert target.inputs["retryPolicy"] == {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 10}
    assert target.inputs["deadLetterConfig"]["arn"] == dlq.outputs["arn"] and dlq.inputs["sqsManagedSseEnabled"]
    rule = stack.one("aws:cloudwatch/eventRule:EventRule", "image-pushed")
    [statement] = json.loads(stack.one("aws:sqs/queuePolicy:QueuePolicy", "updater-dlq-policy").inputs["policy"])[
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}
    permission = stack.one("aws:lambda/permission:Permission", "updater-invoke")
    assert (
        permission.inputs["sourceArn"] == rule.outputs["arn"]
        and permission.inputs["principal"] == "events.amazonaws.com"
    )
    config = stack.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "updater-async")
    assert config.inputs["destinationConfig"]["onFailure"]["destination"] == dlq.outputs["arn"]
    assert (config.inputs["maximumRetryAttempts"], config.inputs["maximumEventAgeInSeconds"]) == (2, 3600)


@pytest.mark.parametrize("layout", ["per-service", "consolidated"])
def test_updater_may_register_only_this_stacks_job_definition_with_its_worker_image(layout):
    stack = record("dev", {"images.layout": layout})
    statements = policy(stack, "updater-policy")
    job = f"arn:aws:batch:us-east-1:{ACCOUNT_ID}:job-definition/creative-automation-dev-rerender"
    [register] = [s for s in statements if "batch:RegisterJobDefinition" in as_list(s["Action"])]
    assert as_list(register["Action"]) == ["batch:RegisterJobDefinition"]
    assert sorted(register["Resource"]) == [job, job + ":*"]
    repository = "creative-automation-dev" + ("-batch-worker" if layout == "per-service" else "")
    worker_images = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/{repository}@sha256:*"
    assert register["Condition"] == {"StringLike": {"batch:Image": [worker_images]}}
    assert sorted(grants(statements, "batch:TagResource")) == [job, job + ":*"]
    assert grants(statements, "batch:DescribeJobDefinitions") == ["*"]  # no resource-level permission exists
    roles = {r.name: r.outputs["arn"] for r in stack.of_type("aws:iam/role:Role")}
    [pass_role] = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert sorted(pass_role["Resource"]) == sorted([roles["worker-execution-role"], roles["worker-job-role"]])
    passed_to = pass_role["Condition"]["StringEquals"]["iam:PassedToService"]
    assert "ecs-tasks.amazonaws.com" in passed_to and "lambda.amazonaws.com" not in passed_to
    env = json.loads(
        stack.one("aws:lambda/function:Function", "image-updater").inputs["environment"]["variables"]["IMAGE_TARGETS"]
    )
    assert {t["job_definition"] for t in env if t["job_definition"]} == {"creative-automation-dev-rerender"}


def test_dev_updater_updates_only_its_own_pipeline_functions(dev):
    functions = {f.name: f.outputs["arn"] for f in dev.of_type("aws:lambda/function:Function")}
    assert sorted(grants(policy(dev, "updater-policy"), "lambda:UpdateFunctionCode")) == sorted(
        functions[s] for s in ("parser", "generator", "variants", "api", "settler")
    )


def test_updater_environment_names_the_batch_resources(dev):
    env = dev.one("aws:lambda/function:Function", "image-updater").inputs["environment"]["variables"]
    assert env["BATCH_JOB_DEFINITION_NAME"] == "creative-automation-dev-rerender"
    assert env["BATCH_JOB_QUEUE"] == dev.outputs["batch_job_queue"]


def test_the_job_role_may_only_touch_output_and_invoke_variants(stack):
    statements = policy(stack, "worker-job-policy")
    bucket = stack.one("aws:s3/bucket:Bucket").outputs["arn"]
    assert grants(statements, "s3:GetObject") == [f"{bucket}/output/*"]
    # What the worker calls (handlers/batch_worker/rerender.py): it lists the manifest's key, reads and writes the
    # manifest and the open marker, and invokes the variants function; nothing else.
    assert {a for s in statements for a in as_list(s["Action"])} == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "lambda:InvokeFunction",
    }
    [listing] = [s for s in statements if "s3:ListBucket" in as_list(s["Action"])]
    assert listing["Resource"] == bucket
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["output/*"]}}
    assert grants(statements, "lambda:InvokeFunction") == [
        stack.one("aws:lambda/function:Function", "variants").outputs["arn"]
    ]
    execution = policy(stack, "worker-execution-policy")
    assert grants(execution, "ecr:BatchGetImage") == [
        stack.one("aws:ecr/repository:Repository", "batch-worker-repository").outputs["arn"]
    ]


def test_dev_code_has_one_owner_the_updater_and_prod_code_is_pulumis(dev, prod):
    """In dev, Pulumi creates the pipeline functions and then leaves their image to the updater, so a `pulumi up`
    and the updater run its push fires never both update the same function's code. The updater's own function,
    and every prod function, take their image from `pulumi up`."""
    owned = {f.name: f.ignore_changes for f in dev.of_type("aws:lambda/function:Function")}
    assert owned == {
        "parser": ["imageUri"],
        "generator": ["imageUri"],
        "variants": ["imageUri"],
        "image-updater": [],
        "api": ["imageUri"],
        "settler": ["imageUri"],
    }
    assert {f.name: f.ignore_changes for f in prod.of_type("aws:lambda/function:Function")} == {
        "parser": [],
        "generator": [],
        "variants": [],
        "api": [],
        "settler": [],
    }
    # What Pulumi leaves alone is exactly what the updater may change.
    targets = json.loads(
        dev.one("aws:lambda/function:Function", "image-updater").inputs["environment"]["variables"]["IMAGE_TARGETS"]
    )
    assert sorted(t["function"] for t in targets if t["function"]) == sorted(
        dev.one("aws:lambda/function:Function", name).inputs["name"]
        for name in ("parser", "generator", "variants", "api", "settler")
    )


# --- a Batch job that ends FAILED -------------------------------------------------------------------------

RULE, TARGET = "aws:cloudwatch/eventRule:EventRule", "aws:cloudwatch/eventTarget:EventTarget"


def batch_event(name: str, queue_arn: str) -> dict:
    event = fixture(name)
    event["detail"]["jobQueue"] = queue_arn
    return event


def test_the_failed_jobs_rule_matches_exactly_this_queues_failed_jobs(stack):
    rule = stack.one(RULE, "failed-jobs")
    pattern = EventPattern(None, json.loads(rule.inputs["eventPattern"]))
    queue = stack.one("aws:batch/jobQueue:JobQueue").outputs["arn"]
    assert pattern.matches_event(batch_event("batchdoc_job-state-change-failed.json", queue))
    assert not pattern.matches_event(batch_event("batchdoc_job-state-change-runnable.json", queue))
    other_queue = queue.replace(stack.stack, "other")  # the other stack's queue, in the same account
    assert not pattern.matches_event(batch_event("batchdoc_job-state-change-failed.json", other_queue))
    succeeded = batch_event("batchdoc_job-state-change-failed.json", queue)
    succeeded["detail"]["status"] = "SUCCEEDED"
    assert not pattern.matches_event(succeeded)


def test_a_failed_job_reaches_the_alarm_topic_in_words_and_the_settler(stack):
    rule = stack.one(RULE, "failed-jobs")
    targets = [t for t in stack.of_type(TARGET) if t.inputs["rule"] == rule.outputs["name"]]
    topic = stack.one("aws:sns/topic:Topic")
    settler = stack.one("aws:lambda/function:Function", "settler")
    destinations = {t.inputs["arn"] for t in targets}
    assert {topic.outputs["arn"], settler.outputs["arn"]} <= destinations
    # prod also sends it to the topic the deployer named (alarms.topicArn; the mocks' stand-in)
    assert destinations - {topic.outputs["arn"], settler.outputs["arn"]} == set(stand_ins(stack.stack).values())
    [to_topic] = [t for t in targets if t.inputs["arn"] == topic.outputs["arn"]]
    transformer = to_topic.inputs["inputTransformer"]
    # what EventBridge delivers for the failed fixture: each <name> replaced by its path's value
    event = fixture("batchdoc_job-state-change-failed.json")
    text = transformer["inputTemplate"]
    for name, path in transformer["inputPaths"].items():
        value = event
        for part in path.removeprefix("$.").split("."):
            value = value[part]
        text = text.replace(f"<{name}>", str(value))
    message = json.loads(text)  # a quoted template: EventBridge delivers a JSON string, SNS its text
    assert message.startswith(
        "Re-render job rerender-summer-splash-20260101T000000Z-1a2b3c4d (4c7599ae-0a82-49aa-ba5a-4727fcce14a8) "
        "of campaign summer-splash-20260101T000000Z-1a2b3c4d FAILED after its last attempt: Task failed to start."
    )
    # EventBridge may publish to the topic only for this rule, and may use the topic's key
    policy = json.loads(stack.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    [publish] = [s for s in policy["Statement"] if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert publish["Action"] == "sns:Publish" and publish["Resource"] == topic.outputs["arn"]
    assert publish["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}
    key_policy = json.loads(stack.one("aws:kms/key:Key").inputs["policy"])
    [key_use] = [s for s in key_policy["Statement"] if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert key_use["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    # Lambda lets EventBridge invoke the settler for this rule only
    [permission] = [
        p for p in stack.of_type("aws:lambda/permission:Permission") if p.inputs.get("sourceArn") == rule.outputs["arn"]
    ]
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["function"] == settler.outputs["name"]


def test_dev_given_subnets_and_groups_needs_no_default_vpc():
    """An account without a default VPC: dev with batch.subnetIds and batch.securityGroupIds looks up only the given
    subnet, makes no security group, and runs its tasks without a public IP, as prod does."""
    given = {"batch.subnetIds": ["subnet-0a1b2c3d4e5f60718"], "batch.securityGroupIds": ["sg-0a1b2c3d4e5f60718"]}
    recording = record("dev", given)
    assert recording.error is None, recording.error
    assert "aws:ec2/getVpc:getVpc" not in recording.invokes and "aws:ec2/getSubnet:getSubnet" in recording.invokes
    assert recording.of_type("aws:ec2/securityGroup:SecurityGroup") == []
    compute = recording.one("aws:batch/computeEnvironment:ComputeEnvironment").inputs["computeResources"]
    assert (compute["subnets"], compute["securityGroupIds"]) == (
        given["batch.subnetIds"],
        given["batch.securityGroupIds"],
    )
    container = json.loads(recording.one("aws:batch/jobDefinition:JobDefinition").inputs["containerProperties"])
    assert container["networkConfiguration"] == {"assignPublicIp": "DISABLED"}
