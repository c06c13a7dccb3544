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
    """The Lambda handler: the payload checked, the call and its product in every log line, `handle(request,
    context)`'s status in the answer, the metrics flushed.

    The call's fields (Lambda's context fields, as Powertools' inject_lambda_context names them, then the
    campaign and product) are the logger's per-thread keys, not the shared ones inject_lambda_context sets:
    Lambda runs one call at a time per container, but the local run calls one handler from several threads at
    once, and shared keys would print one call's request id and product on another call's lines."""
    first_call = [True]  # popped by the first call: a cold start

    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            cold_start = first_call.pop()  # atomic: one call gets True
        except IndexError:
            cold_start = False
        logger.thread_safe_clear_keys()
        logger.thread_safe_append_keys(
            cold_start=cold_start,
            function_name=context.function_name,
            function_memory_size=context.memory_limit_in_mb,
            function_arn=context.invoked_function_arn,
            function_request_id=context.aws_request_id,
        )
        try:
            request = payload.from_event(event)
            logger.thread_safe_append_keys(campaign_id=request.campaign_id, product_index=request.product_index)
            status = handle(request, context)
            return {"campaign_id": request.campaign_id, "product_index": request.product_index, "status": status}
        finally:
            logger.thread_safe_clear_keys()

    return handler
