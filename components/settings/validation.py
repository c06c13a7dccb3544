"""Config values in, validated `StackSettings` out (pure): each value checked against what AWS and the code accept,
each default stated here once. The local run and the tests use exactly the code the Pulumi program uses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from components.settings.keys import Reader, SettingsError, camel, config_key, refuse_unknown_keys
from components.settings.limits import (
    API_MAX_BURST_LIMIT,
    API_MAX_RATE_LIMIT,
    AWS_REGION,
    EMAIL,
    ENVIRONMENT_NAME,
    FARGATE_VCPU_MEMORY_MIB,
    GENERATOR_MIN_TIMEOUT,
    JWT_CLAIM,
    LAMBDA_MAX_TIMEOUT,
    LAMBDA_MEMORY_RANGE,
    LOG_LEVELS,
    LOG_RETENTION_DAYS,
    PIPELINE_FUNCTIONS,
    PROJECT,
    SNS_TOPIC_ARN,
    SQS_MAX_BATCH_SIZE,
    SQS_MAX_BATCH_SIZE_WITHOUT_WINDOW,
    SQS_MAX_BATCH_WINDOW,
    SQS_MAX_VISIBILITY_TIMEOUT,
    VERSION_TAG,
    is_documentation_address,
)
from components.settings.model import (
    AlarmSettings,
    ApiSettings,
    AsyncInvokeSettings,
    BatchSettings,
    BucketSettings,
    FunctionSettings,
    ImageSettings,
    QueueSettings,
    StackSettings,
)
from handlers.shared.environment import DEFAULT_TEAM_CLAIM, SUBJECT_DETECTORS
from handlers.shared.image_models import OUTPAINT, TEXT_TO_IMAGE, ModelChoice, UnknownModel, choose, lifecycle_warning

HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[^\s]*[^\s/])?$")
AUDIENCE = re.compile(r"^\S{1,256}$")
API_INTEGRATION_TIMEOUT = 30  # seconds: the longest an HTTP API waits for its integration
COGNITO_RESERVED_WORDS = ("aws", "amazon", "cognito")  # refused in a Cognito domain prefix


def settings_from_values(
    environment: str, values: Mapping[str, Any], *, deployed: bool = True, today: date | None = None
) -> StackSettings:
    """Validate config `values` (keys without the project prefix; `aws:region` as is).

    `deployed` is False only for the local run, which may use the offline image backend. `today` (default: the
    date of the run, UTC) decides whether a model has ended or gone Legacy.
    """
    today = today or datetime.now(UTC).date()
    values = {k.removeprefix(f"{PROJECT}:"): v for k, v in values.items()}
    refuse_unknown_keys(values)
    reader = Reader(values)
    if not ENVIRONMENT_NAME.match(environment or ""):
        raise SettingsError(
            f"stack name {environment!r} is not a usable environment name: expected lower-case letters, "
            "digits and '-', starting with a letter, at most 15 characters (it becomes part of resource names)"
        )
    region = reader.string("aws:region", pattern=AWS_REGION, expected="an AWS region such as us-east-1")

    images = ImageSettings(
        tag=reader.string("images.tag", default=""),
        layout=reader.choice("images.layout", ("per-service", "consolidated"), default="per-service"),
        platform=reader.choice("images.platform", ("linux/amd64", "linux/arm64"), default="linux/amd64"),
        keep_last=reader.integer("images.keepLast", 1, 1000, default=None, optional=True),
        mode=reader.choice("images.mode", ("build", "resolve"), default="build"),
        environment_in_repository_name=reader.boolean("images.environmentInRepositoryName", default=True),
    )
    if images.immutable_tags and images.keep_last is not None:
        raise SettingsError(
            f"{config_key('images.keepLast')} is {images.keep_last} but {config_key('images.tag')} pins "
            f"{images.tag!r}: a pinned stack keeps every image it released (each ACTIVE job-definition revision "
            "runs one, and a re-render at that version pulls it), so no count may expire them; remove the key"
        )
    if images.tracks_latest and images.keep_last is None:
        images = replace(images, keep_last=10)
    if environment == "prod" and not VERSION_TAG.match(images.tag):
        raise SettingsError(
            f"{config_key('images.tag')} is {images.tag!r}: prod pins an immutable version tag of the form "
            "vMAJOR.MINOR.PATCH (for example v1.2.0); 'latest' and other mutable tags are not allowed"
        )
    if not (images.tag == "latest" or VERSION_TAG.match(images.tag)):
        raise SettingsError(
            f"{config_key('images.tag')} is {images.tag!r}: expected 'latest' (track the newest image) "
            "or a version tag vMAJOR.MINOR.PATCH"
        )

    defaults = {
        "parser": FunctionSettings(512, 300, 10),
        "generator": FunctionSettings(1024, 120, 5),
        "variants": FunctionSettings(2048, 180, 10),
        "image-updater": FunctionSettings(256, 900, None),  # may wait out a `pulumi up`: ~10 min
        "api": FunctionSettings(512, 29, None),  # API Gateway waits 30 s at most for its integration
        "settler": FunctionSettings(256, 120, None),
    }
    functions = {}
    for service, default in defaults.items():
        base = f"functions.{camel(service)}"
        concurrency = reader.integer(
            f"{base}.reservedConcurrency", 0, 1000, default=default.reserved_concurrency, optional=True
        )
        functions[service] = FunctionSettings(
            memory_mb=reader.integer(f"{base}.memoryMb", *LAMBDA_MEMORY_RANGE, default=default.memory_mb),
            timeout_seconds=reader.integer(
                f"{base}.timeoutSeconds", 1, LAMBDA_MAX_TIMEOUT, default=default.timeout_seconds
            ),
            reserved_concurrency=concurrency,
        )

    for service in PIPELINE_FUNCTIONS:
        if functions[service].reserved_concurrency == 0:
            raise SettingsError(
                f"{config_key(f'functions.{camel(service)}.reservedConcurrency')} is 0: that throttles every "
                "invocation, so the pipeline would never run it; give at least 1, or leave it unset"
            )
    parser_concurrency = functions["parser"].reserved_concurrency
    if parser_concurrency is not None and parser_concurrency < 2:
        raise SettingsError(
            f"{config_key('functions.parser.reservedConcurrency')} is {parser_concurrency}: the SQS event source's "
            "maximum concurrency, which follows it, must be 2 to 1000 (0 would stop the parser)"
        )
    api_timeout = functions["api"].timeout_seconds
    if api_timeout > API_INTEGRATION_TIMEOUT:
        raise SettingsError(
            f"{config_key('functions.api.timeoutSeconds')} is {api_timeout}: API Gateway (HTTP API) waits at most "
            f"{API_INTEGRATION_TIMEOUT} s for the function, so a longer timeout would only let the caller see a 503; "
            f"give at most {API_INTEGRATION_TIMEOUT}"
        )
    parser_timeout = functions["parser"].timeout_seconds
    queue = QueueSettings(
        max_receive_count=reader.integer("queue.maxReceiveCount", 1, 1000, default=5),
        batch_size=reader.integer("queue.batchSize", 1, SQS_MAX_BATCH_SIZE, default=10),
        batching_window_seconds=reader.integer("queue.batchingWindowSeconds", 0, SQS_MAX_BATCH_WINDOW, default=5),
        visibility_timeout_seconds=reader.integer(
            "queue.visibilityTimeoutSeconds",
            0,
            SQS_MAX_VISIBILITY_TIMEOUT,
            default=min(6 * parser_timeout, SQS_MAX_VISIBILITY_TIMEOUT),
        ),
    )
    if queue.visibility_timeout_seconds < 6 * parser_timeout:
        raise SettingsError(
            f"{config_key('queue.visibilityTimeoutSeconds')} is {queue.visibility_timeout_seconds}: "
            "it must be at least "
            f"6 x the parser's timeout ({config_key('functions.parser.timeoutSeconds')} = {parser_timeout}), "
            f"so at least {6 * parser_timeout}; AWS rejects an SQS event source whose visibility timeout is "
            "below the function timeout and advises 6x"
        )
    if queue.batch_size > SQS_MAX_BATCH_SIZE_WITHOUT_WINDOW and queue.batching_window_seconds < 1:
        raise SettingsError(
            f"{config_key('queue.batchSize')} is {queue.batch_size}: above {SQS_MAX_BATCH_SIZE_WITHOUT_WINDOW} AWS "
            f"requires {config_key('queue.batchingWindowSeconds')} of at least 1"
        )

    async_invoke = AsyncInvokeSettings(
        max_retry_attempts=reader.integer("asyncInvoke.maxRetryAttempts", 0, 2, default=2),
        max_event_age_seconds=reader.integer("asyncInvoke.maxEventAgeSeconds", 60, 21600, default=3600),
    )
    bucket = BucketSettings(
        output_expiration_days=reader.integer("bucket.outputExpirationDays", 1, 36500, default=90),
        noncurrent_version_expiration_days=reader.integer(
            "bucket.noncurrentVersionExpirationDays", 1, 36500, default=30
        ),
    )

    vcpu = reader.number("batch.vcpu", default=1)
    if vcpu not in FARGATE_VCPU_MEMORY_MIB:
        raise SettingsError(
            f"{config_key('batch.vcpu')} is {vcpu!r}: Fargate allows "
            f"{', '.join(str(v) for v in FARGATE_VCPU_MEMORY_MIB)}"
        )
    memory = reader.integer("batch.memoryMib", 512, 122880, default=2048)
    if memory not in FARGATE_VCPU_MEMORY_MIB[vcpu]:
        allowed = FARGATE_VCPU_MEMORY_MIB[vcpu]
        raise SettingsError(
            f"{config_key('batch.memoryMib')} is {memory}: with {vcpu} vCPU Fargate allows "
            f"{allowed[0]}..{allowed[-1]} MiB in steps of {allowed[1] - allowed[0] if len(allowed) > 1 else 0}"
        )
    batch = BatchSettings(
        vcpu=vcpu,
        memory_mib=memory,
        max_vcpus=reader.integer("batch.maxVcpus", 1, 4096, default=16),
        retry_attempts=reader.integer("batch.retryAttempts", 1, 10, default=3),
        timeout_seconds=reader.integer("batch.timeoutSeconds", 60, 14 * 24 * 3600, default=3600),
        subnet_ids=reader.string_list(
            "batch.subnetIds",
            pattern=re.compile(r"^subnet-[0-9a-f]{8,17}$"),
            expected="subnet ids such as subnet-0123abcd",
        ),
        security_group_ids=reader.string_list(
            "batch.securityGroupIds",
            pattern=re.compile(r"^sg-[0-9a-f]{8,17}$"),
            expected="security group ids such as sg-0123abcd",
        ),
    )

    if environment == "prod":
        for key, given in (("batch.subnetIds", batch.subnet_ids), ("batch.securityGroupIds", batch.security_group_ids)):
            if not given:
                raise SettingsError(
                    f"{config_key(key)} is empty: prod runs its Batch tasks in private subnets of your VPC, without "
                    "a public IP; list them (subnetIds: private subnets with a NAT gateway or VPC endpoints for ECR, "
                    "S3, CloudWatch Logs and Lambda; securityGroupIds: groups allowing outbound HTTPS), see "
                    "docs/deploying.md"
                )

    email = reader.string("alarms.email", default="") or None
    if email and not EMAIL.match(email):
        raise SettingsError(f"{config_key('alarms.email')} is {email!r}: expected an e-mail address, or leave it empty")
    topic_arn = reader.string("alarms.topicArn", default="") or None
    if topic_arn and not SNS_TOPIC_ARN.match(topic_arn):
        raise SettingsError(
            f"{config_key('alarms.topicArn')} is {topic_arn[:120]!r}: expected the ARN of an existing SNS topic "
            "such as arn:aws:sns:us-east-1:123456789012:ops-alarms, or leave it empty"
        )
    if environment == "prod" and email and is_documentation_address(email):
        raise SettingsError(
            f"{config_key('alarms.email')} is {email!r}: a name reserved for documentation (RFC 2606), where nobody "
            "receives mail, so prod's alarms would reach no one; set the address of the people who answer them, or "
            f"{config_key('alarms.topicArn')} to an existing SNS topic"
        )
    if environment == "prod" and not (email or topic_arn):
        raise SettingsError(
            f"{config_key('alarms.email')} and {config_key('alarms.topicArn')} are both empty: prod alarms must "
            "reach someone; set an e-mail address to subscribe, or the ARN of an existing SNS topic to publish to"
        )
    alarms = AlarmSettings(
        email=email,
        topic_arn=topic_arn,
        function_errors=reader.integer("alarms.functionErrors", 1, 100000, default=5),
        model_throttles=reader.integer("alarms.modelThrottles", 1, 100000, default=10),
        oldest_message_age_seconds=reader.integer("alarms.oldestMessageAgeSeconds", 60, 1209600, default=900),
    )

    api = api_settings(reader)
    reserved = [word for word in COGNITO_RESERVED_WORDS if word in environment]
    if api.makes_user_pool and reserved:
        raise SettingsError(
            f"stack name {environment!r} contains {reserved[0]!r}: the stack's Cognito domain prefix "
            f"({PROJECT}-{environment}-<account id>) may not contain {', '.join(COGNITO_RESERVED_WORDS)}; use another "
            f"stack name, or set {config_key('api.jwtIssuer')} to use an existing identity provider"
        )

    bedrock_region = reader.string(
        "bedrockRegion", default=region, pattern=AWS_REGION, expected="an AWS region such as us-west-2"
    )
    image_model = model_choice(reader, "bedrockModelId", bedrock_region, TEXT_TO_IMAGE, today)
    outpaint_model = (
        model_choice(reader, "bedrockOutpaintModelId", bedrock_region, OUTPAINT, today)
        if reader.string("bedrockOutpaintModelId", default="")
        else None
    )
    warnings = [
        f"{config_key(key)} is {choice.invoke_id!r}: {note}"
        for key, choice in (("bedrockModelId", image_model), ("bedrockOutpaintModelId", outpaint_model))
        if choice is not None and (note := lifecycle_warning(choice.model, today))
    ]
    backend = reader.choice("imageBackend", ("bedrock", "local"), default="bedrock")
    if deployed and backend != "bedrock":
        raise SettingsError(
            f"{config_key('imageBackend')} is {backend!r}: a deployed stack generates with 'bedrock'; "
            "'local' (offline placeholders) is for the local run only"
        )
    generator_timeout = functions["generator"].timeout_seconds
    if backend == "bedrock" and generator_timeout < GENERATOR_MIN_TIMEOUT:
        raise SettingsError(
            f"{config_key('functions.generator.timeoutSeconds')} is {generator_timeout}: the generator starts a model "
            f"call only with {GENERATOR_MIN_TIMEOUT} s left (the call's timeouts plus time to record its outcome), "
            f"so give at least {GENERATOR_MIN_TIMEOUT}"
        )

    return StackSettings(
        environment=environment,
        region=region,
        images=images,
        functions=functions,
        queue=queue,
        async_invoke=async_invoke,
        bucket=bucket,
        batch=batch,
        alarms=alarms,
        api=api,
        image_model=image_model,
        outpaint_model=outpaint_model,
        image_backend=backend,
        subject_detector=reader.choice("subjectDetector", SUBJECT_DETECTORS, default="rekognition"),
        log_level=reader.choice("logLevel", LOG_LEVELS, default="INFO"),
        log_retention_days=reader.choice("logRetentionDays", LOG_RETENTION_DAYS, default=30),
        max_brief_bytes=reader.integer("maxBriefBytes", 1024, 10 * 1024 * 1024, default=1024 * 1024),
        model_warnings=tuple(warnings),
    )


def model_choice(reader: Reader, key: str, region: str, task: str, today: date) -> ModelChoice:
    """The Bedrock model `key` names, callable from `region` and alive on `today`; refused in words otherwise."""
    invoke_id = reader.string(key)
    try:
        return choose(invoke_id, region, task, today)
    except UnknownModel as error:
        raise SettingsError(f"{config_key(key)} is {invoke_id[:120]!r}: {error}") from error


def api_settings(reader: Reader) -> ApiSettings:
    """The campaign API's issuer (a Cognito user pool made by the stack unless `api.jwtIssuer` names one),
    team claim and stage throttling."""
    issuer = reader.string("api.jwtIssuer", default="") or None
    if issuer and not HTTPS_URL.match(issuer):
        raise SettingsError(
            f"{config_key('api.jwtIssuer')} is {issuer[:120]!r}: expected the issuer URL of your identity provider, "
            "https:// without a trailing slash, exactly as its tokens' `iss` claim spells it (for example "
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123), or leave it empty to have the stack "
            "make a Cognito user pool"
        )
    audience = reader.string_list("api.jwtAudience", pattern=AUDIENCE, expected="audience values (client ids)")
    if issuer and not audience:
        raise SettingsError(
            f"{config_key('api.jwtAudience')} is empty while {config_key('api.jwtIssuer')} is set: API Gateway "
            "accepts a token only when its `aud` (or, without `aud`, its `client_id`) is one of these; list the "
            "audiences (or app client ids) your callers' tokens carry"
        )
    if audience and not issuer:
        raise SettingsError(
            f"{config_key('api.jwtAudience')} is {list(audience)!r} but {config_key('api.jwtIssuer')} is empty: "
            "the stack's own Cognito user pool uses its own app client as the audience; set the issuer too, or "
            "remove the audience"
        )
    return ApiSettings(
        jwt_issuer=issuer,
        jwt_audience=audience,
        team_claim=reader.string(
            "api.teamClaim", default=DEFAULT_TEAM_CLAIM, pattern=JWT_CLAIM, expected="a JWT claim name"
        ),
        throttle_rate_limit=_throttle_rate(reader),
        throttle_burst_limit=reader.integer("api.throttleBurstLimit", 1, API_MAX_BURST_LIMIT, default=40),
    )


def _throttle_rate(reader: Reader) -> float:
    rate = reader.number("api.throttleRateLimit", default=20)
    if not 1 <= rate <= API_MAX_RATE_LIMIT:
        raise SettingsError(
            f"{config_key('api.throttleRateLimit')} is {rate}: allowed range is 1 to {API_MAX_RATE_LIMIT} requests "
            "per second (the account's API Gateway quota)"
        )
    return rate
