"""What each function's (and the Batch job's) environment holds: one pure function for the stack and the local run.

Values known only once resources exist (the bucket's name, the DLQ's URL) come in `StackValues`: Pulumi outputs in
the stack, plain strings in the local run. Variable names come from `handlers/shared/environment.py`, the module
the functions read them with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from components.settings import StackSettings
from components.settings.limits import API_MAX_BRIEF_BYTES
from handlers.shared import environment as env

if TYPE_CHECKING:  # the local run uses this module without the Pulumi SDK installed (requirements-local.txt)
    import pulumi


@dataclass(frozen=True)
class StackValues:
    bucket_name: pulumi.Input[str]
    dlq_url: pulumi.Input[str] = ""  # the parser's: where permanently failing records go at once
    image_targets: list[dict[str, Any]] = field(default_factory=list)  # the image-push updater's watch list
    job_definition_name: pulumi.Input[str] = ""
    job_queue_name: pulumi.Input[str] = ""
    batch_worker_repository: pulumi.Input[str] = ""  # the campaign API lists its tags (stacks that track latest)


def function_environment(settings: StackSettings, service: str, values: StackValues) -> dict[str, pulumi.Input[str]]:
    """The environment variables of `service` (parser, generator, variants, image-updater, api, settler,
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
    # Every function that settles a campaign keeps its status in the campaign index current.
    table = {env.CAMPAIGN_TABLE: names.campaign_table}
    # Who makes and edits images (handlers/shared/environment.py ImageModels): every function that calls a
    # model, and those that refuse or price what a brief asks of them.
    outpaint = settings.outpaint_model
    image_model = {
        env.IMAGE_BACKEND: settings.image_backend,
        env.BEDROCK_REGION: settings.image_model.region,
        env.BEDROCK_MODEL_ID: settings.image_model.invoke_id,
        **({env.BEDROCK_OUTPAINT_MODEL_ID: outpaint.invoke_id} if outpaint else {}),
    }
    tracks_latest = settings.images.tracks_latest
    own: dict[str, dict[str, pulumi.Input[str]]] = {
        "parser": {
            **bucket,
            env.GENERATOR_FUNCTION: names.function("generator"),
            **variants_function,
            env.MAX_BRIEF_BYTES: str(settings.max_brief_bytes),
            env.DLQ_URL: values.dlq_url,
            **table,
            **image_model,  # a brief asking for "framing": "expand" is refused when no model paints it
        },
        "generator": {**bucket, **variants_function, **image_model, **async_attempts, **table},
        # the image model paints a brief's generative expand
        "variants": {
            **bucket,
            **async_attempts,
            **image_model,
            **table,
            env.SUBJECT_DETECTOR: settings.subject_detector,  # finds a photo's subject and faces
        },
        "image-updater": {
            env.BATCH_JOB_DEFINITION_NAME: values.job_definition_name,
            env.BATCH_JOB_QUEUE: values.job_queue_name,
            env.IMAGE_TARGETS: json.dumps(values.image_targets),
        },
        "api": {
            **bucket,
            **table,
            env.MAX_BRIEF_BYTES: str(min(settings.max_brief_bytes, API_MAX_BRIEF_BYTES)),
            **image_model,  # the cost estimate: model calls x the models' prices; expand refused without a painter
            env.BATCH_JOB_QUEUE: values.job_queue_name,
            env.BATCH_JOB_DEFINITION_NAME: values.job_definition_name,
            # A pinned stack offers only the versions a `pulumi up` released (ACTIVE job-definition revisions);
            # a stack that tracks latest offers every pushed tag of the batch-worker repository.
            env.VERSION_SOURCE: env.PUSHED_TAGS if tracks_latest else env.RELEASED,
            **({env.BATCH_WORKER_REPOSITORY: values.batch_worker_repository} if tracks_latest else {}),
            env.TEAM_CLAIM: settings.api.team_claim,
        },
        "settler": {**bucket, **table, env.STUCK_AFTER_SECONDS: str(stuck_after_seconds(settings))},
        # Not a Lambda: no Powertools, plain logging. It reopens a campaign and hands its products to the variants
        # function, which settles it (and keeps the index current): no table of its own.
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
