"""What each function's (and the Batch job's) environment holds: one pure function for the stack and the local run.

Values known only once resources exist (the bucket's name, the DLQ's URL) come in `StackValues`: Pulumi outputs in
the stack, plain strings in the local run. Variable names come from `handlers/shared/environment.py`, the module
the functions read them with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.settings import StackSettings
from handlers.shared import environment as env


@dataclass(frozen=True)
class StackValues:
    bucket_name: pulumi.Input[str]
    dlq_url: pulumi.Input[str] = ""  # the parser's: where permanently failing records go at once
    image_targets: list[dict[str, Any]] = field(default_factory=list)  # the image-push updater's watch list
    job_definition_name: pulumi.Input[str] = ""
    job_queue_name: pulumi.Input[str] = ""


def function_environment(settings: StackSettings, service: str, values: StackValues) -> dict[str, pulumi.Input[str]]:
    """The environment variables of `service` (parser, generator, variants, image-updater, settler,
    batch-worker)."""
    names = settings.names
    logging = {env.LOG_LEVEL: settings.log_level}
    powertools = {
        env.POWERTOOLS_LOG_LEVEL: settings.log_level,
        env.POWERTOOLS_SERVICE_NAME: service,
        env.POWERTOOLS_METRICS_NAMESPACE: names.metrics_namespace,
    }
    # The last of Lambda's attempts of an async event settles the product as failed before raising.
    async_attempts = {env.ASYNC_MAX_ATTEMPTS: str(settings.async_invoke.max_retry_attempts + 1)}
    bucket = {env.S3_BUCKET_NAME: values.bucket_name}
    variants_function = {env.VARIANTS_FUNCTION: names.function("variants")}
    own: dict[str, dict[str, pulumi.Input[str]]] = {
        "parser": {
            **bucket,
            env.GENERATOR_FUNCTION: names.function("generator"),
            **variants_function,
            env.MAX_BRIEF_BYTES: str(settings.max_brief_bytes),
            env.DLQ_URL: values.dlq_url,
        },
        "generator": {
            **bucket,
            **variants_function,
            env.BEDROCK_MODEL_ID: settings.bedrock_model_id,
            env.IMAGE_BACKEND: settings.image_backend,
            **async_attempts,
        },
        "variants": {  # the image model paints a brief's generative expand
            **bucket,
            **async_attempts,
            env.BEDROCK_MODEL_ID: settings.bedrock_model_id,
            env.IMAGE_BACKEND: settings.image_backend,
        },
        "image-updater": {
            env.BATCH_JOB_DEFINITION_NAME: values.job_definition_name,
            env.BATCH_JOB_QUEUE: values.job_queue_name,
            env.IMAGE_TARGETS: json.dumps(values.image_targets),
        },
        "settler": {**bucket, env.STUCK_AFTER_SECONDS: str(stuck_after_seconds(settings))},
        # Not a Lambda: no Powertools, plain logging.
        "batch-worker": {**bucket, **variants_function},
    }
    if service not in own:
        raise ValueError(f"no environment is defined for {service!r}")
    return {**own[service], **logging, **({} if service == "batch-worker" else powertools)}


STUCK_MARGIN_SECONDS = 300


def stuck_after_seconds(settings: StackSettings) -> int:
    """How long a campaign may go without a manifest write before the settler's sweep calls its open products
    lost: the longest Lambda may keep an event queued, plus every attempt of the slowest product function, plus
    a margin."""
    longest = max(settings.functions[service].timeout_seconds for service in ("generator", "variants"))
    attempts = settings.async_invoke.max_retry_attempts + 1
    return settings.async_invoke.max_event_age_seconds + attempts * longest + STUCK_MARGIN_SECONDS
