"""The typed settings of one stack: what each part of the stack is made with (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field

from components.settings.keys import config_key
from components.settings.limits import PROJECT, is_documentation_address
from handlers.shared.image_models import ModelChoice


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
    # lifecycle policy: tagged images kept per repository (per service tag prefix when consolidated) by a stack that
    # tracks latest; None for a pinned stack, which keeps every released image (a re-render may name any)
    keep_last: int | None
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
    email: str | None  # subscribed to the stack's alarm topic
    topic_arn: str | None  # an existing topic the alarms publish to as well (its policy must let CloudWatch publish)
    function_errors: int  # errors per function in 5 minutes
    model_throttles: int  # Bedrock throttles in 5 minutes
    oldest_message_age_seconds: int


@dataclass(frozen=True)
class ApiSettings:
    """The campaign API: who may call it and how fast."""

    jwt_issuer: str | None  # None: the stack makes a Cognito user pool and uses it as the issuer
    jwt_audience: tuple[str, ...]  # with jwt_issuer: the audiences a token must name (aud, else client_id)
    team_claim: str  # the token claim naming the caller's team (the campaign owner); `sub` when absent
    throttle_rate_limit: float  # requests per second, steady, for each route of the stage (HTTP API route defaults)
    throttle_burst_limit: int

    @property
    def makes_user_pool(self) -> bool:
        return self.jwt_issuer is None


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
    def campaign_table(self) -> str:
        return f"{self.prefix}-campaigns"

    def auth_domain_prefix(self, account_id: str) -> str:
        # Cognito prefix domains are global (one name per region across all accounts): the account makes it unique.
        return f"{self.prefix}-{account_id}"

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
    api: ApiSettings
    image_model: ModelChoice  # the generator's text-to-image model (bedrockModelId, bedrockRegion)
    outpaint_model: ModelChoice | None  # paints a brief's "framing": "expand" (bedrockOutpaintModelId); None: refused
    image_backend: str
    subject_detector: str  # rekognition | offline: who finds a photo's subject and faces for the framing
    log_level: str
    log_retention_days: int
    max_brief_bytes: int
    model_warnings: tuple[str, ...] = ()  # a Legacy model: it works, but not for long (warned about at preview)
    names: Names = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", Names(PROJECT, self.environment))

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"

    def advice(self) -> list[str]:
        """Settings AWS accepts but advises against: warned about at preview, not refused."""
        notes = list(self.model_warnings)
        if self.alarms.email and is_documentation_address(self.alarms.email):  # prod refuses it (validation)
            notes.append(
                f"{config_key('alarms.email')} is {self.alarms.email!r}: a documentation domain nobody receives "
                "mail at; set the address of the people who answer this stack's alarms"
            )
        if self.queue.max_receive_count < 5:
            notes.append(
                f"{config_key('queue.maxReceiveCount')} is {self.queue.max_receive_count}: AWS advises at least 5 "
                "for a queue Lambda consumes, so that a throttled batch is not sent to the DLQ too soon"
            )
        return notes
