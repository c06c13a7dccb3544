"""Variants function: one product's source image -> five social-media JPEGs with the campaign message.

Invoked asynchronously (payloads: handlers/PAYLOADS.md). A source that cannot be rendered marks the
product failed in the manifest; anything transient raises, so Lambda retries and then the on-failure
destination keeps the event.
"""

import os

import boto3
from aws_lambda_powertools import Logger, Metrics

from handlers.shared.manifest import ManifestStore
from handlers.shared.settled import on_campaign_settled
from handlers.variants.service import VariantsService

logger = Logger(service="variants")
metrics = Metrics(service="variants")
_service: VariantsService | None = None


def service() -> VariantsService:
    global _service
    if _service is None:
        s3 = boto3.client("s3")
        store = ManifestStore(
            s3,
            os.environ["S3_BUCKET_NAME"],
            on_settled=on_campaign_settled(metrics, logger, s3, os.environ["S3_BUCKET_NAME"]),
        )
        _service = VariantsService(
            s3, store, logger, metrics, max_attempts=int(os.environ.get("ASYNC_MAX_ATTEMPTS", 3))
        )
    return _service


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event, context):
    logger.append_keys(campaign_id=event["campaign_id"], product_index=event["product_index"])
    status = service().handle(event["campaign_id"], int(event["product_index"]), event.get("source_key"))
    return {"campaign_id": event["campaign_id"], "product_index": event["product_index"], "status": status}
