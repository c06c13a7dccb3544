"""Typed stack settings: read once, validated before any resource exists.

`StackSettings.from_values` is pure (a mapping of config keys in, settings out) so the local run
and the tests use exactly the code the Pulumi program uses. `load()` is the Pulumi entry point: it
reads `pulumi.Config` for the current stack. Every error names the config key, the value given and
what is allowed; a key under `creative-automation:` that no setting reads (a typo) is an error too.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = "creative-automation"
ROOT = Path(__file__).resolve().parent.parent
IMAGE_MODELS_FILE = ROOT / "handlers" / "shared" / "image_models.json"

# Services built as container images. The Batch worker re-renders a campaign's variants in bulk.
FUNCTION_SERVICES = ("parser", "generator", "variants", "image-updater")
SERVICES = (*FUNCTION_SERVICES, "batch-worker")
PIPELINE_FUNCTIONS = ("parser", "generator", "variants")
# One Bedrock call (5 s connect + 60 s read) and 10 s to record its outcome: handlers/generator/models.py.
GENERATOR_MIN_TIMEOUT = 75

VERSION_TAG = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
ENVIRONMENT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,14}$")
AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Hard AWS limits that moto does not enforce.
LAMBDA_MAX_TIMEOUT = 900
LAMBDA_MEMORY_RANGE = (128, 10240)
SQS_MAX_VISIBILITY_TIMEOUT = 43200
SQS_MAX_BATCH_WINDOW = 300
SQS_MAX_BATCH_SIZE = 10_000
SQS_MAX_BATCH_SIZE_WITHOUT_WINDOW = 10
FARGATE_VCPU_MEMORY_MIB = {  # vCPU -> allowed memory (MiB), per the AWS Batch/Fargate table
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4097, 1024)),
    1: tuple(range(2048, 8193, 1024)),
    2: tuple(range(4096, 16385, 1024)),
    4: tuple(range(8192, 30721, 1024)),
    8: tuple(range(16384, 61441, 4096)),
    16: tuple(range(32768, 122881, 8192)),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Every key this project reads under `creative-automation:`. Anything else is refused (a misspelled key
# would otherwise silently fall back to its default); _Reader refuses to read a key missing here.
CONFIG_KEYS = frozenset(
    {
        *(f"images.{k}" for k in ("tag", "layout", "platform", "keepLast", "mode", "environmentInRepositoryName")),
        *(
            f"functions.{f}.{k}"
            for f in ("parser", "generator", "variants", "imageUpdater")
            for k in ("memoryMb", "timeoutSeconds", "reservedConcurrency")
        ),
        *(f"queue.{k}" for k in ("maxReceiveCount", "batchSize", "batchingWindowSeconds", "visibilityTimeoutSeconds")),
        "asyncInvoke.maxRetryAttempts",
        "asyncInvoke.maxEventAgeSeconds",
        "bucket.outputExpirationDays",
        "bucket.noncurrentVersionExpirationDays",
        *(
            f"batch.{k}"
            for k in (
                "vcpu",
                "memoryMib",
                "maxVcpus",
                "retryAttempts",
                "timeoutSeconds",
                "subnetIds",
                "securityGroupIds",
            )
        ),
        *(f"alarms.{k}" for k in ("email", "functionErrors", "modelThrottles", "oldestMessageAgeSeconds")),
        "bedrockModelId",
        "imageBackend",
        "logLevel",
        "logRetentionDays",
        "maxBriefBytes",
    }
)


class SettingsError(ValueError):
    """A config value that cannot be deployed. The message names key, value and what is allowed."""


def image_models() -> dict[str, dict[str, Any]]:
    """Bedrock image models the generator has adapters for: id -> {family, usd_per_image, ...}."""
    return json.loads(IMAGE_MODELS_FILE.read_text())["models"]


@dataclass(frozen=True)
class FunctionSettings:
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int | None  # None: no reservation (draws on the account's unreserved pool)


@dataclass(frozen=True)
class ImageSettings:
    tag: str  # pushed and deployed tag: `latest` (tracking) or vMAJOR.MINOR.PATCH (pinned)
    layout: str  # per-service: one repository per service; consolidated: one per environment
    platform: str
    keep_last: int  # lifecycle policy: images kept per repository (per service tag prefix when consolidated)
    mode: str  # build: build and push with pulumi-docker; resolve: look the tag up in ECR, build nothing
    environment_in_repository_name: bool

    @property
    def tracks_latest(self) -> bool:
        return self.tag == "latest"

    @property
    def immutable_tags(self) -> bool:
        return not self.tracks_latest


@dataclass(frozen=True)
class QueueSettings:
    max_receive_count: int
    batch_size: int
    batching_window_seconds: int
    visibility_timeout_seconds: int
    retention_seconds: int = 4 * 24 * 3600
    dlq_retention_seconds: int = 14 * 24 * 3600
    receive_wait_seconds: int = 20


@dataclass(frozen=True)
class AsyncInvokeSettings:
    max_retry_attempts: int
    max_event_age_seconds: int


@dataclass(frozen=True)
class BucketSettings:
    output_expiration_days: int
    noncurrent_version_expiration_days: int


@dataclass(frozen=True)
class BatchSettings:
    vcpu: float
    memory_mib: int
    max_vcpus: int
    retry_attempts: int
    timeout_seconds: int
    subnet_ids: tuple[str, ...]  # empty: the default VPC's subnets, looked up at preview
    security_group_ids: tuple[str, ...]  # empty: a security group made by the stack, egress only


@dataclass(frozen=True)
class AlarmSettings:
    email: str | None
    function_errors: int  # errors per function in 5 minutes
    model_throttles: int  # Bedrock throttles in 5 minutes
    oldest_message_age_seconds: int


@dataclass(frozen=True)
class Names:
    """Physical names, derived from project and environment (shared with the local run)."""

    project: str
    environment: str

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.environment}"

    def bucket(self, account_id: str, region: str) -> str:
        # Bucket names are global: account and region make them unique without random suffixes.
        return f"{self.prefix}-{account_id}-{region}"

    @property
    def queue(self) -> str:
        return f"{self.prefix}-briefs"

    @property
    def dlq(self) -> str:
        return f"{self.prefix}-briefs-dlq"

    def function(self, service: str) -> str:
        return f"{self.prefix}-{service}"

    def log_group(self, service: str) -> str:
        return f"/aws/lambda/{self.function(service)}"

    @property
    def metrics_namespace(self) -> str:
        return f"CreativeAutomation/{self.environment}"


@dataclass(frozen=True)
class StackSettings:
    environment: str
    region: str
    images: ImageSettings
    functions: dict[str, FunctionSettings]
    queue: QueueSettings
    async_invoke: AsyncInvokeSettings
    bucket: BucketSettings
    batch: BatchSettings
    alarms: AlarmSettings
    bedrock_model_id: str
    image_backend: str
    log_level: str
    log_retention_days: int
    max_brief_bytes: int
    names: Names = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", Names(PROJECT, self.environment))

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"

    def advice(self) -> list[str]:
        """Settings AWS accepts but advises against: warned about at preview, not refused."""
        notes = []
        if self.queue.max_receive_count < 5:
            notes.append(
                f"{_key('queue.maxReceiveCount')} is {self.queue.max_receive_count}: AWS advises at least 5 "
                "for a queue Lambda consumes, so that a throttled batch is not sent to the DLQ too soon"
            )
        return notes

    @classmethod
    def from_values(cls, environment: str, values: Mapping[str, Any], *, deployed: bool = True) -> StackSettings:
        """Validate config `values` (keys without the project prefix; `aws:region` as is).

        `deployed` is False only for the local run, which may use the offline image backend.
        """
        values = {k.removeprefix(f"{PROJECT}:"): v for k, v in values.items()}
        _refuse_unknown_keys(values)
        reader = _Reader(values)
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
            keep_last=reader.integer("images.keepLast", 1, 1000, default=10),
            mode=reader.choice("images.mode", ("build", "resolve"), default="build"),
            environment_in_repository_name=reader.boolean("images.environmentInRepositoryName", default=True),
        )
        if environment == "prod" and not VERSION_TAG.match(images.tag):
            raise SettingsError(
                f"{_key('images.tag')} is {images.tag!r}: prod pins an immutable version tag of the form "
                "vMAJOR.MINOR.PATCH (for example v1.2.0); 'latest' and other mutable tags are not allowed"
            )
        if not (images.tag == "latest" or VERSION_TAG.match(images.tag)):
            raise SettingsError(
                f"{_key('images.tag')} is {images.tag!r}: expected 'latest' (track the newest image) "
                "or a version tag vMAJOR.MINOR.PATCH"
            )

        defaults = {
            "parser": FunctionSettings(512, 300, 10),
            "generator": FunctionSettings(1024, 120, 5),
            "variants": FunctionSettings(2048, 180, 10),
            "image-updater": FunctionSettings(256, 120, None),
        }
        functions = {}
        for service, default in defaults.items():
            base = f"functions.{_camel(service)}"
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
                    f"{_key(f'functions.{_camel(service)}.reservedConcurrency')} is 0: that throttles every "
                    "invocation, so the pipeline would never run it; give at least 1, or leave it unset"
                )
        parser_concurrency = functions["parser"].reserved_concurrency
        if parser_concurrency is not None and parser_concurrency < 2:
            raise SettingsError(
                f"{_key('functions.parser.reservedConcurrency')} is {parser_concurrency}: the SQS event source's "
                "maximum concurrency, which follows it, must be 2 to 1000 (0 would stop the parser)"
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
                f"{_key('queue.visibilityTimeoutSeconds')} is {queue.visibility_timeout_seconds}: it must be at least "
                f"6 x the parser's timeout ({_key('functions.parser.timeoutSeconds')} = {parser_timeout}), "
                f"so at least {6 * parser_timeout}; AWS rejects an SQS event source whose visibility timeout is "
                "below the function timeout and advises 6x"
            )
        if queue.batch_size > SQS_MAX_BATCH_SIZE_WITHOUT_WINDOW and queue.batching_window_seconds < 1:
            raise SettingsError(
                f"{_key('queue.batchSize')} is {queue.batch_size}: above {SQS_MAX_BATCH_SIZE_WITHOUT_WINDOW} AWS "
                f"requires {_key('queue.batchingWindowSeconds')} of at least 1"
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
                f"{_key('batch.vcpu')} is {vcpu!r}: Fargate allows {', '.join(str(v) for v in FARGATE_VCPU_MEMORY_MIB)}"
            )
        memory = reader.integer("batch.memoryMib", 512, 122880, default=2048)
        if memory not in FARGATE_VCPU_MEMORY_MIB[vcpu]:
            allowed = FARGATE_VCPU_MEMORY_MIB[vcpu]
            raise SettingsError(
                f"{_key('batch.memoryMib')} is {memory}: with {vcpu} vCPU Fargate allows "
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

        email = reader.string("alarms.email", default="") or None
        if email and not EMAIL.match(email):
            raise SettingsError(f"{_key('alarms.email')} is {email!r}: expected an e-mail address, or leave it empty")
        alarms = AlarmSettings(
            email=email,
            function_errors=reader.integer("alarms.functionErrors", 1, 100000, default=5),
            model_throttles=reader.integer("alarms.modelThrottles", 1, 100000, default=10),
            oldest_message_age_seconds=reader.integer("alarms.oldestMessageAgeSeconds", 60, 1209600, default=900),
        )

        models = image_models()
        model_id = reader.string("bedrockModelId")
        if model_id not in models:
            raise SettingsError(
                f"{_key('bedrockModelId')} is {model_id!r}: the generator has adapters for {', '.join(sorted(models))}"
            )
        backend = reader.choice("imageBackend", ("bedrock", "local"), default="bedrock")
        if deployed and backend != "bedrock":
            raise SettingsError(
                f"{_key('imageBackend')} is {backend!r}: a deployed stack generates with 'bedrock'; "
                "'local' (offline placeholders) is for the local run only"
            )
        generator_timeout = functions["generator"].timeout_seconds
        if backend == "bedrock" and generator_timeout < GENERATOR_MIN_TIMEOUT:
            raise SettingsError(
                f"{_key('functions.generator.timeoutSeconds')} is {generator_timeout}: the generator starts a model "
                f"call only with {GENERATOR_MIN_TIMEOUT} s left (the call's timeouts plus time to record its outcome), "
                f"so give at least {GENERATOR_MIN_TIMEOUT}"
            )

        return cls(
            environment=environment,
            region=region,
            images=images,
            functions=functions,
            queue=queue,
            async_invoke=async_invoke,
            bucket=bucket,
            batch=batch,
            alarms=alarms,
            bedrock_model_id=model_id,
            image_backend=backend,
            log_level=reader.choice("logLevel", LOG_LEVELS, default="INFO"),
            log_retention_days=reader.choice("logRetentionDays", LOG_RETENTION_DAYS, default=30),
            max_brief_bytes=reader.integer("maxBriefBytes", 1024, 10 * 1024 * 1024, default=1024 * 1024),
        )


def stack_file(environment: str) -> Path:
    return ROOT / f"Pulumi.{environment}.yaml"


def read_stack_file(environment: str) -> dict[str, Any]:
    """The `config:` block of Pulumi.<environment>.yaml, keys without the project prefix."""
    import yaml

    document = yaml.safe_load(stack_file(environment).read_text()) or {}
    values = {}
    for key, value in (document.get("config") or {}).items():
        if key.startswith(f"{PROJECT}:"):
            key = key[len(PROJECT) + 1 :]
        values[key] = value
    return values


def load() -> StackSettings:
    """Settings of the stack being deployed, from pulumi.Config. Raises SettingsError before any resource."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    # Every key of this project's namespace, as the CLI hands them over (so unknown ones can be refused);
    # structured values arrive JSON-encoded.
    given = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    values: dict[str, Any] = {
        key[len(PROJECT) + 1 :]: _scalar(value)
        for key, value in given.items()
        if key.startswith(f"{PROJECT}:") and value is not None
    }
    region = pulumi.Config("aws").get("region")
    if region is not None:
        values["aws:region"] = region
    settings = StackSettings.from_values(pulumi.get_stack(), values)
    for note in settings.advice():
        pulumi.log.warn(note)
    return settings


def _scalar(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _refuse_unknown_keys(values: Mapping[str, Any], prefix: str = "") -> None:
    """Fail on a key of this project that no setting reads, naming it, a close match and the allowed keys.
    Keys of other namespaces (`aws:region`, ...) belong to their providers and pass."""
    level = {key[len(prefix) :].split(".")[0] for key in CONFIG_KEYS if key.startswith(prefix)}
    for name, value in values.items():
        if not prefix and ":" in name:
            continue
        path = prefix + name
        if name not in level:
            close = difflib.get_close_matches(name, level, n=1)
            hint = f"did you mean {_key(prefix + close[0])}? " if close else ""
            raise SettingsError(
                f"{_key(path)} is not a setting of this project: {hint}allowed keys"
                f"{' under ' + _key(prefix.rstrip('.')) if prefix else ''} are "
                f"{', '.join(sorted(level, key=str.lower))}"
            )
        if isinstance(value, str) and path not in CONFIG_KEYS:
            value = _scalar(value)  # a structured value given as JSON text
        if isinstance(value, Mapping) and path not in CONFIG_KEYS:
            _refuse_unknown_keys(value, path + ".")


def _key(path: str) -> str:
    return path if ":" in path else f"{PROJECT}:{path}"


def _camel(service: str) -> str:
    head, *rest = service.split("-")
    return head + "".join(part.title() for part in rest)


_MISSING = object()


class _Reader:
    """Looks up dotted keys in nested config and checks their types, naming the key on failure."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = values

    def _get(self, path: str, default: Any) -> Any:
        assert ":" in path or path in CONFIG_KEYS, f"{path} is read but missing from CONFIG_KEYS"
        if ":" in path:
            value = self.values.get(path, _MISSING)
        else:
            value: Any = self.values
            for part in path.split("."):
                if isinstance(value, str) and part != path.split(".")[0]:
                    value = _scalar(value)
                if not isinstance(value, Mapping):
                    value = _MISSING
                    break
                value = value.get(part, _MISSING)
        if value is _MISSING or value is None:
            if default is _MISSING:
                raise SettingsError(f"{_key(path)} is not set: it is required")
            return default
        return value

    def string(self, path: str, default: Any = _MISSING, pattern: re.Pattern | None = None, expected: str = "") -> str:
        value = self._get(path, default)
        if not isinstance(value, str):
            raise SettingsError(f"{_key(path)} is {value!r}: expected a string")
        if pattern is not None and not pattern.match(value):
            raise SettingsError(f"{_key(path)} is {value!r}: expected {expected or pattern.pattern}")
        if value.strip() != value or (default is _MISSING and not value):
            raise SettingsError(f"{_key(path)} is {value!r}: expected a non-empty value without surrounding spaces")
        return value

    def choice(self, path: str, allowed: tuple, default: Any = _MISSING) -> Any:
        value = self._get(path, default)
        if value not in allowed:
            raise SettingsError(f"{_key(path)} is {value!r}: allowed values are {', '.join(map(str, allowed))}")
        return value

    def integer(self, path: str, low: int, high: int, default: Any = _MISSING, optional: bool = False) -> Any:
        value = self._get(path, default)
        if value is None and optional:
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{_key(path)} is {value!r}: expected a whole number from {low} to {high}")
        if not low <= value <= high:
            raise SettingsError(f"{_key(path)} is {value}: allowed range is {low} to {high}")
        return value

    def number(self, path: str, default: Any = _MISSING) -> float:
        value = self._get(path, default)
        if isinstance(value, str):
            value = _scalar(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(f"{_key(path)} is {value!r}: expected a number")
        return value

    def boolean(self, path: str, default: Any = _MISSING) -> bool:
        value = self._get(path, default)
        if isinstance(value, str) and value in ("true", "false"):
            value = value == "true"
        if not isinstance(value, bool):
            raise SettingsError(f"{_key(path)} is {value!r}: expected true or false")
        return value

    def string_list(self, path: str, pattern: re.Pattern, expected: str) -> tuple[str, ...]:
        value = self._get(path, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and pattern.match(item) for item in value):
            raise SettingsError(f"{_key(path)} is {value!r}: expected a list of {expected}")
        return tuple(value)
