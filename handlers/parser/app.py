"""Parser function: SQS batch of S3 notifications -> validated briefs -> campaigns and routed products.

Each record is processed on its own (Powertools BatchProcessor): a failing record is reported in
`batchItemFailures` and redelivered by SQS (then the DLQ), while the good records beside it succeed.
A brief that is invalid is not a failure: its report is written and the message acknowledged.
"""

from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.parser import dead_letter
from handlers.parser.events import parse_body
from handlers.parser.service import ParserService
from handlers.shared.environment import ParserEnvironment
from handlers.shared.errors import error_code, is_transient
from handlers.shared.manifest import ManifestStore
from handlers.shared.settled import IndexStatus
from handlers.shared.telemetry import logger_and_metrics

logger, metrics = logger_and_metrics("parser")
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
_service: ParserService | None = None
_sqs: Any = None
_environment: ParserEnvironment | None = None


def service() -> ParserService:
    global _service
    if _service is None:
        s3 = boto3.client("s3")
        _service = ParserService(
            s3,
            ManifestStore(s3, environment().bucket),
            environment().max_brief_bytes,
            logger,
            metrics,
            index=IndexStatus(environment().campaign_table),
            can_expand=environment().image_models.can_expand,
        )
    return _service


def environment() -> ParserEnvironment:
    global _environment
    if _environment is None:
        _environment = ParserEnvironment.read()
    return _environment


def dead_letter_queue() -> Any:
    global _sqs
    if _sqs is None:
        _sqs = boto3.client("sqs")
    return _sqs


def record_handler(record: SQSRecord) -> None:
    logger.append_keys(message_id=record.message_id, campaign_id=None, product_index=None)
    notification = parse_body(record.body)
    for reason in notification.skipped:
        logger.info("event skipped", extra={"reason": reason})
    for upload in notification.uploads:
        try:
            outcome = service().handle(upload)
        except Exception as error:
            dlq_url = environment().dlq_url
            if dead_letter.is_permanent(error) and dlq_url:
                # Acknowledged here, kept in the DLQ with its reason: a retry cannot fix it.
                dead_letter.send(dead_letter_queue(), dlq_url, record.body, record.message_id, error)
                logger.error(
                    "upload failed permanently; moved to the DLQ, not retried",
                    extra={"key": upload.key, "error_code": error_code(error), "error": str(error)},
                )
                return
            # Raising fails this record only: SQS redelivers it, and after maxReceiveCount it lands in the DLQ.
            logger.warning(
                "upload failed; the message will be retried",
                extra={"key": upload.key, "error_code": error_code(error), "transient": is_transient(error)},
            )
            raise
        logger.info(
            "upload processed", extra={"key": upload.key, "outcome": outcome.status, "routed": list(outcome.routed)}
        )


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
