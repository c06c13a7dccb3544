"""The functions' environment variables (CONTRACT §8): each name stated once, read once per container.

The stack sets them (`components/function_environment.py`), the local run sets the same through the same code,
and each function reads its own with `<Function>Environment.read()`. A missing or malformed variable fails the
cold start naming the variable, not a later call with a bare KeyError.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

S3_BUCKET_NAME = "S3_BUCKET_NAME"
GENERATOR_FUNCTION = "GENERATOR_FUNCTION"
VARIANTS_FUNCTION = "VARIANTS_FUNCTION"
BEDROCK_MODEL_ID = "BEDROCK_MODEL_ID"  # the text-to-image model (or inference profile) InvokeModel gets
BEDROCK_OUTPAINT_MODEL_ID = "BEDROCK_OUTPAINT_MODEL_ID"  # paints "framing": "expand"; unset: expand is refused
BEDROCK_REGION = "BEDROCK_REGION"  # the Region Bedrock is called in (a profile's source Region)
IMAGE_BACKEND = "IMAGE_BACKEND"  # bedrock | local (the local run's offline placeholders)
SUBJECT_DETECTOR = "SUBJECT_DETECTOR"  # rekognition | offline: who finds a photo's subject and faces (variants)
MAX_BRIEF_BYTES = "MAX_BRIEF_BYTES"
DLQ_URL = "DLQ_URL"
ASYNC_MAX_ATTEMPTS = "ASYNC_MAX_ATTEMPTS"  # Lambda's attempts of an async event: the last one settles the product
IMAGE_TARGETS = "IMAGE_TARGETS"  # the image-push updater's watch list (JSON)
BATCH_JOB_DEFINITION_NAME = "BATCH_JOB_DEFINITION_NAME"
BATCH_JOB_QUEUE = "BATCH_JOB_QUEUE"
CAMPAIGN_TABLE = "CAMPAIGN_TABLE"  # the campaign index (DynamoDB): every function that settles a campaign
VERSION_SOURCE = "VERSION_SOURCE"  # pushed-tags (stacks that track latest) | released (pinned stacks)
BATCH_WORKER_REPOSITORY = "BATCH_WORKER_REPOSITORY"  # the batch-worker repository's name (pushed-tags only)
TEAM_CLAIM = "TEAM_CLAIM"  # the token claim naming the caller's team
STUCK_AFTER_SECONDS = "STUCK_AFTER_SECONDS"  # the settler's sweep: no progress for this long means never finishing
LOG_LEVEL = "LOG_LEVEL"
POWERTOOLS_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
POWERTOOLS_METRICS_DISABLED = "POWERTOOLS_METRICS_DISABLED"

IMAGE_BACKENDS = ("bedrock", "local")
SUBJECT_DETECTORS = ("rekognition", "offline")
PUSHED_TAGS, RELEASED = "pushed-tags", "released"
VERSION_SOURCES = (PUSHED_TAGS, RELEASED)
DEFAULT_TEAM_CLAIM = "cognito:groups"


class MisconfiguredFunction(RuntimeError):
    """A variable the function needs is missing or malformed (a deployment fault, not bad input)."""


@dataclass(frozen=True)
class ImageModels:
    """Who makes and edits images: Bedrock models, called in one Region (ids as InvokeModel takes them), or the
    offline backend of the local run (placeholders, and its own fill for an expand)."""

    backend: str = "local"
    model_id: str | None = None  # text-to-image; required with bedrock
    outpaint_model_id: str | None = None  # None with bedrock: a brief's "framing": "expand" is refused
    region: str | None = None  # required with bedrock

    @property
    def bedrock(self) -> bool:
        return self.backend == "bedrock"

    @property
    def can_expand(self) -> bool:
        """Whether a brief may ask for "framing": "expand": a model paints it, or the offline fill does."""
        return not self.bedrock or self.outpaint_model_id is not None

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> ImageModels:
        backend = _required(environ, IMAGE_BACKEND)
        if backend not in IMAGE_BACKENDS:
            raise MisconfiguredFunction(f"{IMAGE_BACKEND} is {backend!r}: expected one of {', '.join(IMAGE_BACKENDS)}")
        if backend != "bedrock":
            return cls(backend)
        return cls(
            backend,
            _required(environ, BEDROCK_MODEL_ID),
            _optional(environ, BEDROCK_OUTPAINT_MODEL_ID),
            _required(environ, BEDROCK_REGION),
        )


@dataclass(frozen=True)
class ParserEnvironment:
    bucket: str
    max_brief_bytes: int
    dlq_url: str | None  # None: permanent failures are retried until SQS moves them (tests, old stacks)
    campaign_table: str | None = None  # None: no campaign index to keep current
    image_models: ImageModels = ImageModels()  # whether a brief may ask for a generative expand

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> ParserEnvironment:
        return cls(
            bucket=_required(environ, S3_BUCKET_NAME),
            max_brief_bytes=_positive(environ, MAX_BRIEF_BYTES),
            dlq_url=environ.get(DLQ_URL) or None,
            campaign_table=_optional(environ, CAMPAIGN_TABLE),
            image_models=ImageModels.read(environ),
        )


@dataclass(frozen=True)
class GeneratorEnvironment:
    bucket: str
    image_models: ImageModels
    async_max_attempts: int
    campaign_table: str | None = None  # None: no campaign index to keep current

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> GeneratorEnvironment:
        return cls(
            _required(environ, S3_BUCKET_NAME),
            ImageModels.read(environ),
            _positive(environ, ASYNC_MAX_ATTEMPTS),
            _optional(environ, CAMPAIGN_TABLE),
        )


@dataclass(frozen=True)
class VariantsEnvironment:
    bucket: str
    async_max_attempts: int
    image_models: ImageModels = ImageModels()  # who paints a generative expand: a model, or the offline stand-in
    campaign_table: str | None = None  # None: no campaign index to keep current
    subject_detector: str = "offline"

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> VariantsEnvironment:
        detector = environ.get(SUBJECT_DETECTOR, "").strip() or "offline"
        if detector not in SUBJECT_DETECTORS:
            raise MisconfiguredFunction(
                f"{SUBJECT_DETECTOR} is {detector!r}: expected one of {', '.join(SUBJECT_DETECTORS)}"
            )
        return cls(
            _required(environ, S3_BUCKET_NAME),
            _positive(environ, ASYNC_MAX_ATTEMPTS),
            ImageModels.read(environ),
            _optional(environ, CAMPAIGN_TABLE),
            detector,
        )


@dataclass(frozen=True)
class SettlerEnvironment:
    bucket: str
    stuck_after_seconds: int  # the stack's figure: event age + every attempt's timeout + a margin
    campaign_table: str | None = None  # None: no campaign index to keep current

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> SettlerEnvironment:
        return cls(
            _required(environ, S3_BUCKET_NAME),
            _positive(environ, STUCK_AFTER_SECONDS),
            _optional(environ, CAMPAIGN_TABLE),
        )


@dataclass(frozen=True)
class ApiEnvironment:
    bucket: str
    campaign_table: str
    max_brief_bytes: int
    image_models: ImageModels  # the cost estimate: the models' prices, or nothing for the offline backend
    batch_job_queue: str
    batch_job_definition_name: str
    version_source: str
    batch_worker_repository: str | None  # required with pushed-tags
    team_claim: str = DEFAULT_TEAM_CLAIM

    @classmethod
    def read(cls, environ: Mapping[str, str] = os.environ) -> ApiEnvironment:
        source = _required(environ, VERSION_SOURCE)
        if source not in VERSION_SOURCES:
            raise MisconfiguredFunction(f"{VERSION_SOURCE} is {source!r}: expected one of {', '.join(VERSION_SOURCES)}")
        return cls(
            bucket=_required(environ, S3_BUCKET_NAME),
            campaign_table=_required(environ, CAMPAIGN_TABLE),
            max_brief_bytes=_positive(environ, MAX_BRIEF_BYTES),
            image_models=ImageModels.read(environ),
            batch_job_queue=_required(environ, BATCH_JOB_QUEUE),
            batch_job_definition_name=_required(environ, BATCH_JOB_DEFINITION_NAME),
            version_source=source,
            batch_worker_repository=_required(environ, BATCH_WORKER_REPOSITORY) if source == PUSHED_TAGS else None,
            team_claim=environ.get(TEAM_CLAIM, "").strip() or DEFAULT_TEAM_CLAIM,
        )


def function_name(variable: str, environ: Mapping[str, str] = os.environ) -> str:
    """The physical name of the function the variable names (GENERATOR_FUNCTION, VARIANTS_FUNCTION)."""
    return _required(environ, variable)


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value.strip():
        raise MisconfiguredFunction(f"environment variable {name} is not set: the stack sets it on this function")
    return value


def _optional(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name, "").strip() or None


def _positive(environ: Mapping[str, str], name: str) -> int:
    value = _required(environ, name)
    if not value.isdigit() or int(value) < 1:
        raise MisconfiguredFunction(f"environment variable {name} is {value!r}: expected a whole number of at least 1")
    return int(value)
