"""What the functions that take one product (generator, variants) share: the manifest store that reports the
campaign its writer settles, and the handler around the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.shared.manifest import ManifestStore
from handlers.shared.payloads import ProductPayload
from handlers.shared.settled import IndexStatus, on_campaign_settled

P = TypeVar("P", bound=ProductPayload)
Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def settling_store(bucket: str, logger: Logger, metrics: Metrics, campaign_table: str | None = None) -> ManifestStore:
    """The manifest store, on a new S3 client (`store.s3`, for the service too), that reports the campaign its
    writer settles (and records its status in the campaign index, when the stack has one)."""
    s3 = boto3.client("s3")
    settled = on_campaign_settled(metrics, logger, s3, bucket, IndexStatus(campaign_table))
    return ManifestStore(s3, bucket, on_settled=settled)


def product_handler(
    payload: type[P], logger: Logger, metrics: Metrics, handle: Callable[[P, LambdaContext], str]
) -> Handler:
    """The Lambda handler: the payload checked, its product in every log line, `handle(request, context)`'s
    status in the answer, the metrics flushed."""

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        request = payload.from_event(event)
        logger.append_keys(campaign_id=request.campaign_id, product_index=request.product_index)
        status = handle(request, context)
        return {"campaign_id": request.campaign_id, "product_index": request.product_index, "status": status}

    return handler
