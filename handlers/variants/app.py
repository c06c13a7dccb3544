"""Variants function: one product's source image -> five social-media JPEGs with the campaign message.

Invoked asynchronously (payloads: handlers/shared/payloads.py). A source that cannot be rendered marks the
product failed in the manifest; anything transient raises, so Lambda retries and then the on-failure
destination keeps the event.
"""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.shared.environment import VariantsEnvironment
from handlers.shared.manifest import ManifestStore
from handlers.shared.payloads import RenderVariants
from handlers.shared.settled import on_campaign_settled
from handlers.variants.service import VariantsService

logger = Logger(service="variants")
metrics = Metrics(service="variants")
_service: VariantsService | None = None


def service() -> VariantsService:
    global _service
    if _service is None:
        environment = VariantsEnvironment.read()
        s3 = boto3.client("s3")
        store = ManifestStore(
            s3, environment.bucket, on_settled=on_campaign_settled(metrics, logger, s3, environment.bucket)
        )
        _service = VariantsService(s3, store, logger, metrics, max_attempts=environment.async_max_attempts)
    return _service


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = RenderVariants.from_event(event)
    logger.append_keys(campaign_id=request.campaign_id, product_index=request.product_index)
    status = service().handle(request.campaign_id, request.product_index, request.source_key)
    return {"campaign_id": request.campaign_id, "product_index": request.product_index, "status": status}
