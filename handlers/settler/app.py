"""Settler function: no campaign stays `processing` forever.

Two kinds of event reach it:
- an SQS batch from the `…-failed-invocations` queue (Lambda's on-failure records of the generator's and the
  variants' asynchronous invocations): each record's product is settled `failed` with the reason; each record is
  processed on its own (Powertools BatchProcessor, partial batch response), a transient failure fails only its
  record (SQS redelivers it), a record that is not ours is logged once and acknowledged;
- the EventBridge schedule (`Scheduled Event`): the sweep over the open-campaign markers (`output/_open/`);
- AWS Batch's `Batch Job State Change` of a re-render job that ended FAILED: the campaign's re-render is settled
  failed, in words (the stack's rule passes only FAILED jobs of its own queue).
"""

from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.settler.records import NotOurRecord, failed_rerender, lost_product, scheduled_time
from handlers.settler.service import SettlerService
from handlers.shared.environment import SettlerEnvironment
from handlers.shared.manifest import ManifestStore
from handlers.shared.settled import IndexStatus, on_campaign_settled
from handlers.shared.telemetry import logger_and_metrics

logger, metrics = logger_and_metrics("settler")
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
_service: SettlerService | None = None


def service() -> SettlerService:
    global _service
    if _service is None:
        environment = SettlerEnvironment.read()
        s3 = boto3.client("s3")
        index = IndexStatus(environment.campaign_table)
        settled = on_campaign_settled(metrics, logger, s3, environment.bucket, index)
        store = ManifestStore(s3, environment.bucket, on_settled=settled)
        _service = SettlerService(store, logger, metrics, environment.stuck_after_seconds)
    return _service


def record_handler(record: SQSRecord) -> None:
    logger.append_keys(message_id=record.message_id)
    try:
        lost = lost_product(record.body)
    except NotOurRecord as error:
        # Acknowledged: a retry cannot make it ours. The queue keeps nothing, so the log is its one report.
        logger.error("message in the failed-invocations queue is not ours; dropped", extra={"reason": str(error)})
        return
    service().settle_lost(lost)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        return dict(
            process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
        )
    if isinstance(event, dict) and event.get("detail-type") == "Scheduled Event":
        # The schedule's own time: a sweep Lambda runs late never judges more than the schedule saw.
        outcome = service().sweep(scheduled_time(event))
        logger.info(
            "sweep done",
            extra={"open": outcome.open, "closed": outcome.closed, "settled_now": outcome.settled_now},
        )
        return {"open": outcome.open, "closed": len(outcome.closed), "settled": len(outcome.settled_now)}
    if isinstance(event, dict) and event.get("detail-type") == "Batch Job State Change":
        try:
            failed = failed_rerender(event)
        except NotOurRecord as error:
            logger.error("Batch event is no failed re-render job; ignored", extra={"reason": str(error)})
            return {"ignored": True}
        return {"campaign_id": failed.campaign_id, "recorded": service().settle_failed_rerender(failed)}
    logger.error(
        "event is neither an SQS batch, the schedule nor a failed job; ignored", extra={"event": str(event)[:200]}
    )
    return {"ignored": True}
