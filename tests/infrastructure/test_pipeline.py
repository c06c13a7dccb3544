"""The pipeline as declared for dev and prod: every point AWS (and least privilege) cares about."""

import json
import re

import pytest

from tests.documented import OUTPAINT_PROFILE_DESTINATIONS
from tools.mock_stack import ACCOUNT_ID, Recording, record

pytestmark = pytest.mark.slow  # the real program run under Pulumi's mocks

BUCKET = "aws:s3/bucket:Bucket"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SERVICES = ("parser", "generator", "variants")


def function(stack: Recording, service: str):
    return stack.one(FUNCTION, service)


def queue_by_name(stack: Recording, name: str):
    return next(q for q in stack.of_type(QUEUE) if q.inputs["name"] == name)


def policy_of(stack: Recording, service: str) -> list[dict]:
    return json.loads(stack.one(ROLE_POLICY, f"{service}-policy").inputs["policy"])["Statement"]


def all_policy_statements(stack: Recording):
    """(resource, statement) for every IAM and resource policy document in the stack."""
    for resource in stack.resources:
        for key in ("policy", "assumeRolePolicy"):
            text = resource.inputs.get(key)
            if isinstance(text, str) and text.lstrip().startswith("{") and '"Statement"' in text:
                for statement in json.loads(text)["Statement"]:
                    yield resource, statement


def as_list(value):
    return value if isinstance(value, list) else [value]


def bedrock_resources(statements) -> set[str]:
    """Everything a role may call Bedrock on."""
    return {
        r
        for s in statements
        if any(a.startswith("bedrock:") for a in as_list(s["Action"]))
        for r in as_list(s["Resource"])
    }


def actions_of(statements, resource_arn):
    return {
        a
        for s in statements
        if s["Effect"] == "Allow" and resource_arn in as_list(s["Resource"])
        for a in as_list(s["Action"])
    }


# --- bucket -----------------------------------------------------------------------------------------


def test_bucket_is_private_encrypted_versioned_and_tls_only(stack):
    bucket = stack.one(BUCKET)
    assert bucket.inputs["bucket"] == f"creative-automation-{stack.stack}-{ACCOUNT_ID}-us-east-1"
    block = stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block.inputs[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    encryption = stack.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in ("AES256", "aws:kms")
    assert (
        stack.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"]["status"] == "Enabled"
    )
    policy = json.loads(stack.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(deny["Resource"]) == {bucket.outputs["arn"], bucket.outputs["arn"] + "/*"}


def test_lifecycle_expires_output_and_old_versions(stack):
    rules = {
        r["id"]: r
        for r in stack.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    }
    assert rules["expire-output"]["filter"] == {"prefix": "output/"}
    assert rules["expire-output"]["expiration"]["days"] == 90
    assert rules["tidy-versions"]["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    # The API's gallery pages for one caller (presigned links, minutes long): gone after a day, old versions too.
    shared = rules["expire-shared-pages"]
    assert shared["filter"] == {"prefix": "output/_shared/"} and shared["expiration"]["days"] == 1
    assert shared["noncurrentVersionExpiration"]["noncurrentDays"] == 1


def s3_filter_matches(target: dict, key: str) -> bool:
    """S3's notification filter: the key starts with the prefix and ends with the suffix, both case-sensitive."""
    return key.startswith(target.get("filterPrefix") or "") and key.endswith(target.get("filterSuffix") or "")


def test_every_upload_under_input_reaches_the_parser_and_nothing_else_does(stack):
    """Under the stack's real filter: `.JSON` and `.txt` uploads are announced (the parser answers each);
    the parser's own reports and outputs are not, so its writes never trigger it again."""
    [target] = stack.one("aws:s3/bucketNotification:BucketNotification").inputs["queues"]
    delivered = {
        key: s3_filter_matches(target, key)
        for key in (
            "input/campaign-briefs/summer.json",
            "input/campaign-briefs/SUMMER.JSON",
            "input/campaign-briefs/Summer.Json",
            "input/campaign-briefs/notes.txt",
            "output/rejected/notes/report.json",
            "output/summer-1a2b3c4d/manifest.json",
            "existing-assets/acme/citrus/product.png",
        )
    }
    assert delivered == {
        "input/campaign-briefs/summer.json": True,
        "input/campaign-briefs/SUMMER.JSON": True,
        "input/campaign-briefs/Summer.Json": True,
        "input/campaign-briefs/notes.txt": True,
        "output/rejected/notes/report.json": False,
        "output/summer-1a2b3c4d/manifest.json": False,
        "existing-assets/acme/citrus/product.png": False,
    }


def test_notification_sends_new_briefs_to_the_queue_after_its_policy_exists(stack):
    notification = stack.one("aws:s3/bucketNotification:BucketNotification")
    [target] = notification.inputs["queues"]
    queue = queue_by_name(stack, f"creative-automation-{stack.stack}-briefs")
    assert target["queueArn"] == queue.outputs["arn"]
    assert target["events"] == ["s3:ObjectCreated:*"]
    assert target["filterPrefix"] == "input/"
    queue_policy = stack.one("aws:sqs/queuePolicy:QueuePolicy", "briefs-queue-policy")
    assert stack.depends_on(notification, queue_policy)
    [statement] = json.loads(queue_policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": stack.one(BUCKET).outputs["arn"]},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
    }


# --- queues -----------------------------------------------------------------------------------------


def test_queues_retention_polling_encryption_and_redrive(stack):
    queue = queue_by_name(stack, f"creative-automation-{stack.stack}-briefs")
    dlq = queue_by_name(stack, f"creative-automation-{stack.stack}-briefs-dlq")
    assert queue.inputs["messageRetentionSeconds"] == 4 * 86400
    assert dlq.inputs["messageRetentionSeconds"] == 14 * 86400
    for q in stack.of_type(QUEUE):
        assert q.inputs["receiveWaitTimeSeconds"] == 20
        assert q.inputs.get("sqsManagedSseEnabled") is True or q.inputs.get("kmsMasterKeyId")
    redrive = json.loads(queue.inputs["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 5}
    assert redrive["maxReceiveCount"] >= 5, "AWS advises at least 5 where Lambda consumes"


def test_every_lambda_consumed_queue_has_a_dlq_and_visibility_of_six_consumer_timeouts(stack):
    mappings = stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mappings
    for mapping in mappings:
        queue = next(q for q in stack.of_type(QUEUE) if q.outputs["arn"] == mapping.inputs["eventSourceArn"])
        consumer = next(f for f in stack.of_type(FUNCTION) if f.outputs["arn"] == mapping.inputs["functionName"])
        dlq_arn = json.loads(queue.inputs["redrivePolicy"])["deadLetterTargetArn"]
        assert any(q.outputs["arn"] == dlq_arn for q in stack.of_type(QUEUE))
        assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * consumer.inputs["timeout"]
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping.inputs["batchSize"] == 10 and mapping.inputs["maximumBatchingWindowInSeconds"] == 5
        # A consumer with reserved concurrency keeps its poller within it (throttled batches would burn receives);
        # the settler reserves none.
        reserved = consumer.inputs.get("reservedConcurrentExecutions")
        if reserved is not None:
            assert mapping.inputs["scalingConfig"]["maximumConcurrency"] <= reserved
    consumers = {
        next(f.name for f in stack.of_type(FUNCTION) if f.outputs["arn"] == m.inputs["functionName"]) for m in mappings
    }
    assert consumers == {"parser", "settler"}


# --- functions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "service,memory,timeout,concurrency",
    [("parser", 512, 300, 10), ("generator", 1024, 120, 5), ("variants", 2048, 180, 10)],
)
def test_function_sizes_images_and_limits(stack, service, memory, timeout, concurrency):
    fn = function(stack, service)
    assert (fn.inputs["memorySize"], fn.inputs["timeout"], fn.inputs["reservedConcurrentExecutions"]) == (
        memory,
        timeout,
        concurrency,
    )
    assert fn.inputs["packageType"] == "Image"
    assert fn.inputs["imageUri"] == stack.outputs["image_uris"][service]
    assert fn.inputs["name"] == f"creative-automation-{stack.stack}-{service}"


def test_every_lambda_within_hard_limits(stack):
    for fn in stack.of_type(FUNCTION):
        assert fn.inputs["timeout"] <= 900
        assert 128 <= fn.inputs["memorySize"] <= 10240


def test_environment_variables_of_the_contract(stack):
    bucket = stack.one(BUCKET).inputs["bucket"]
    env = {s: function(stack, s).inputs["environment"]["variables"] for s in SERVICES}
    for service in SERVICES:
        assert env[service]["S3_BUCKET_NAME"] == bucket
        assert env[service]["LOG_LEVEL"] == ("DEBUG" if stack.stack == "dev" else "INFO")
        assert env[service]["POWERTOOLS_METRICS_NAMESPACE"] == f"CreativeAutomation/{stack.stack}"
    assert env["parser"]["GENERATOR_FUNCTION"] == function(stack, "generator").inputs["name"]
    assert (
        env["parser"]["VARIANTS_FUNCTION"]
        == env["generator"]["VARIANTS_FUNCTION"]
        == function(stack, "variants").inputs["name"]
    )
    assert env["generator"]["BEDROCK_MODEL_ID"] == "stability.stable-image-core-v1:1"
    for service in SERVICES:  # called in us-west-2, where Stability's text-to-image models are served
        assert env[service]["BEDROCK_REGION"] == "us-west-2"
        assert env[service]["BEDROCK_OUTPAINT_MODEL_ID"] == "us.stability.stable-outpaint-v1:0"
    assert (
        env["parser"]["DLQ_URL"] == queue_by_name(stack, f"creative-automation-{stack.stack}-briefs-dlq").outputs["url"]
    )


def test_log_groups_exist_before_functions_with_retention(stack):
    retention = 7 if stack.stack == "dev" else 30
    for service in SERVICES:
        group = stack.one("aws:cloudwatch/logGroup:LogGroup", f"{service}-logs")
        assert group.inputs["name"] == f"/aws/lambda/creative-automation-{stack.stack}-{service}"
        assert group.inputs["retentionInDays"] == retention
        fn = function(stack, service)
        assert fn.inputs["loggingConfig"]["logGroup"] == group.inputs["name"]
        assert stack.depends_on(fn, group)


def test_lambda_passes_the_stacks_log_level_so_dev_debug_lines_reach_cloudwatch(stack):
    """Lambda drops JSON log lines below its application log level, INFO when unset (logLevel: DEBUG in dev)."""
    expected = "DEBUG" if stack.stack == "dev" else "INFO"  # Pulumi.dev.yaml / Pulumi.prod.yaml logLevel
    for service in SERVICES:
        config = function(stack, service).inputs["loggingConfig"]
        assert (config["logFormat"], config["applicationLogLevel"]) == ("JSON", expected)


def test_async_functions_retry_then_land_in_the_failure_destination(stack):
    failed = queue_by_name(stack, f"creative-automation-{stack.stack}-failed-invocations")
    configs = {c.name: c for c in stack.of_type("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")}
    for service in ("generator", "variants"):
        config = configs[f"{service}-async"]
        assert config.inputs["functionName"] == function(stack, service).inputs["name"]
        assert config.inputs["maximumRetryAttempts"] == 2
        assert config.inputs["destinationConfig"]["onFailure"]["destination"] == failed.outputs["arn"]
        assert "sqs:SendMessage" in actions_of(policy_of(stack, service), failed.outputs["arn"])


# --- IAM --------------------------------------------------------------------------------------------


def test_no_allow_statement_has_a_wildcard_action(stack):
    for resource, statement in all_policy_statements(stack):
        if statement["Effect"] == "Allow":
            assert not any("*" in action for action in as_list(statement["Action"])), (resource.name, statement)
    # The only wildcard action is the bucket's TLS-only deny, which must cover everything.
    wildcard_denies = [
        (r.name, s["Action"])
        for r, s in all_policy_statements(stack)
        if s["Effect"] == "Deny" and any("*" in a for a in as_list(s["Action"]))
    ]
    assert wildcard_denies == [("bucket-policy", "s3:*")]


def test_every_s3_arn_is_this_bucket_and_a_prefix(stack):
    bucket_arn = stack.one(BUCKET).outputs["arn"]
    # Whole prefixes, and narrower ones: the API's briefs, the settler's open-campaign markers, the API's shared
    # gallery pages, and each campaign's manifest and gallery page (the API's cancel and re-render).
    object_arn = re.compile(
        re.escape(bucket_arn)
        + r"/((input|input/campaign-briefs/api|existing-assets|output|output/_open|output/_shared)/\*"
        + r"|output/\*/(manifest\.json|index\.html))$"
    )
    for resource, statement in all_policy_statements(stack):
        if statement["Effect"] != "Allow":
            continue
        for arn in as_list(statement.get("Resource", [])):  # trust policies have none
            if not arn.startswith("arn:aws:s3"):
                continue
            if arn == bucket_arn:  # bucket-level actions are allowed only narrowed to prefixes
                assert as_list(statement["Action"]) == ["s3:ListBucket"]
                prefixes = statement["Condition"]["StringLike"]["s3:prefix"]
                # whole prefixes, or one campaign's manifest key (the settler: an orphan's missing manifest)
                assert all(
                    re.match(r"^((existing-assets|output|output/_open)/\*|output/\*/manifest\.json)$", p)
                    for p in prefixes
                )
            else:
                assert object_arn.match(arn), (resource.name, arn)


def test_each_role_grants_exactly_its_functions_needs(stack):
    bucket_arn = stack.one(BUCKET).outputs["arn"]
    arn = {s: function(stack, s).outputs["arn"] for s in SERVICES}
    queue = queue_by_name(stack, f"creative-automation-{stack.stack}-briefs")
    parser, generator, variants = (policy_of(stack, s) for s in SERVICES)

    # The brief is read by the version the notification names: S3 checks s3:GetObjectVersion for that.
    assert actions_of(parser, f"{bucket_arn}/input/*") == {"s3:GetObject", "s3:GetObjectVersion"}
    assert actions_of(parser, f"{bucket_arn}/existing-assets/*") == {"s3:GetObject"}
    assert actions_of(parser, f"{bucket_arn}/output/*") == {"s3:GetObject", "s3:PutObject"}
    assert actions_of(parser, arn["generator"]) == actions_of(parser, arn["variants"]) == {"lambda:InvokeFunction"}
    assert actions_of(parser, queue.outputs["arn"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    }
    dlq = queue_by_name(stack, f"creative-automation-{stack.stack}-briefs-dlq")
    assert actions_of(parser, dlq.outputs["arn"]) == {"sqs:SendMessage"}  # permanent failures, at once

    model = "arn:aws:bedrock:us-west-2::foundation-model/stability.stable-image-core-v1:1"
    assert actions_of(generator, model) == {"bedrock:InvokeModel"}
    assert bedrock_resources(generator) == {model}
    assert actions_of(generator, f"{bucket_arn}/output/*") == {"s3:GetObject", "s3:PutObject"}
    assert actions_of(generator, arn["variants"]) == {"lambda:InvokeFunction"}
    assert actions_of(generator, f"{bucket_arn}/input/*") == set()
    assert actions_of(generator, arn["parser"]) == set()

    assert actions_of(variants, f"{bucket_arn}/output/*") == {"s3:GetObject", "s3:PutObject"}
    assert actions_of(variants, f"{bucket_arn}/existing-assets/*") == {"s3:GetObject"}
    # A brief's generative expand: the outpaint service, only through its us. inference profile (AWS: the profile,
    # and the foundation model in each of its destination Regions, usable only through that profile).
    profile = f"arn:aws:bedrock:us-west-2:{ACCOUNT_ID}:inference-profile/us.stability.stable-outpaint-v1:0"
    routed = {
        f"arn:aws:bedrock:{region}::foundation-model/stability.stable-outpaint-v1:0"
        for region in OUTPAINT_PROFILE_DESTINATIONS
    }
    assert actions_of(variants, profile) == {"bedrock:InvokeModel"}
    assert bedrock_resources(variants) == routed | {profile}
    [through_profile] = [s for s in variants if set(as_list(s["Resource"])) == routed]
    assert through_profile["Condition"] == {"ArnEquals": {"bedrock:InferenceProfileArn": profile}}
    assert not any(a.startswith("lambda:") for s in variants for a in as_list(s["Action"]))

    for service, statements in zip(SERVICES, (parser, generator, variants), strict=False):
        group_arn = stack.one("aws:cloudwatch/logGroup:LogGroup", f"{service}-logs").outputs["arn"]
        log_resources = {
            r
            for s in statements
            for r in as_list(s["Resource"])
            if any(a.startswith("logs:") for a in as_list(s["Action"]))
        }
        assert log_resources == {f"{group_arn}:log-stream:*"}, "each function logs to its own group only"
        # "*" only where AWS defines no resource: Rekognition's DetectLabels and DetectFaces, for the variants.
        anywhere = {a for s in statements if "*" in as_list(s["Resource"]) for a in as_list(s["Action"])}
        assert anywhere == ({"rekognition:DetectLabels", "rekognition:DetectFaces"} if service == "variants" else set())


def test_one_role_per_function_assumable_only_by_lambda(stack):
    roles = stack.of_type("aws:iam/role:Role")
    pipeline_roles = [r for r in roles if r.name in {f"{s}-role" for s in SERVICES}]
    assert len(pipeline_roles) == 3
    for role in pipeline_roles:
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert len({function(stack, s).inputs["role"] for s in SERVICES}) == 3


# --- settings that AWS would refuse fail at preview -----------------------------------------------


@pytest.mark.parametrize(
    "overrides,expected",
    [
        ({"functions.parser.timeoutSeconds": 900}, "creative-automation:queue.visibilityTimeoutSeconds is 1800"),
        ({"functions.parser.timeoutSeconds": 901}, "creative-automation:functions.parser.timeoutSeconds is 901"),
        ({"functions.variants.memoryMb": 10241}, "creative-automation:functions.variants.memoryMb is 10241"),
        ({"functions.parser.reservedConcurrency": 1}, "creative-automation:functions.parser.reservedConcurrency is 1"),
        ({"queue.batchSize": 50, "queue.batchingWindowSeconds": 0}, "creative-automation:queue.batchSize is 50"),
        ({"asyncInvoke.maxEventAgeSeconds": 30}, "creative-automation:asyncInvoke.maxEventAgeSeconds is 30"),
    ],
)
def test_settings_that_break_aws_limits_fail_at_preview(overrides, expected):
    recording = record("dev", overrides)
    assert recording.error is not None and expected in recording.error
    assert recording.resources == []


def test_outputs_of_the_contract(stack):
    for key in ("bucket_name", "queue_url", "queue_name", "dlq_url", "dlq_name", "function_names"):
        assert stack.outputs[key], key
    assert stack.outputs["queue_name"] == f"creative-automation-{stack.stack}-briefs"
    assert stack.outputs["queue_url"].endswith("/" + stack.outputs["queue_name"])
    assert set(stack.outputs["function_names"]) >= set(SERVICES)
