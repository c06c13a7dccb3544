"""Image-push updater: ECR push (EventBridge) -> new Batch job-definition revision (and, in stacks that track
`latest`, the functions built from the pushed repository) on the pushed digest.

Ignored: deletions, scans, failed pushes, other repositories, untracked tags. Failures raise: EventBridge
and Lambda retry, then the DLQ keeps the event and an alarm fires. Every outcome is a metric and a log line.
"""

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.image_updater.events import parse
from handlers.image_updater.service import Target, UpdaterService
from handlers.shared import metrics as metric_names
from handlers.shared.environment import IMAGE_TARGETS
from handlers.shared.telemetry import logger_and_metrics

logger, metrics = logger_and_metrics("image-updater")
_service: UpdaterService | None = None


def service() -> UpdaterService:
    global _service
    if _service is None:
        targets = [Target(**t) for t in json.loads(os.environ[IMAGE_TARGETS])]
        _service = UpdaterService(boto3.client("batch"), boto3.client("ecr"), boto3.client("lambda"), targets, logger)
    return _service


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(event_id=event.get("id"), detail=event.get("detail"))
    try:
        outcome = service().handle(parse(event))
    except Exception:
        metrics.add_metric(name=metric_names.UPDATER_FAILED, unit="Count", value=1)
        logger.exception("image push could not be applied; EventBridge/Lambda will retry, then the DLQ keeps it")
        raise
    if outcome.ignored:
        metrics.add_metric(name=metric_names.UPDATER_SKIPPED, unit="Count", value=1)
        logger.info("image push ignored", extra={"outcome": "ignored", "reason": outcome.ignored})
    else:
        if outcome.updated:
            metrics.add_metric(name=metric_names.UPDATER_UPDATED, unit="Count", value=len(outcome.updated))
        if outcome.revisions_registered:
            metrics.add_metric(
                name=metric_names.JOB_DEFINITION_REVISIONS, unit="Count", value=outcome.revisions_registered
            )
        if outcome.skipped:
            metrics.add_metric(name=metric_names.UPDATER_SKIPPED, unit="Count", value=len(outcome.skipped))
        logger.info(
            "image push applied",
            extra={
                "outcome": "updated" if outcome.updated else "skipped",
                "updated": outcome.updated,
                "skipped": outcome.skipped,
            },
        )
    return {"updated": outcome.updated, "skipped": outcome.skipped, "ignored": outcome.ignored}
