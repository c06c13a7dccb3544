"""Generator function: a product shot from Amazon Bedrock (or the offline placeholder), then variants.

Invoked asynchronously by the parser (payloads: handlers/PAYLOADS.md). A content-filtered result fails
the product with the filter's reason and is not retried; throttling and timeouts are retried here with
backoff while another model call fits before the function's deadline, then raised so Lambda's own retries
and the on-failure destination take over.
"""

import os

import boto3
from aws_lambda_powertools import Logger, Metrics

from handlers.generator.service import GeneratorService
from handlers.shared import metrics as metric_names
from handlers.shared.manifest import ManifestStore
from handlers.shared.settled import on_campaign_settled

logger = Logger(service="generator")
metrics = Metrics(service="generator")
_service: GeneratorService | None = None


def backend():
    if os.environ.get("IMAGE_BACKEND", "bedrock") == "local":
        from handlers.generator.placeholder import PlaceholderImages

        return PlaceholderImages()
    from handlers.generator.models import BedrockImages, client_config

    client = boto3.client("bedrock-runtime", config=client_config())
    return BedrockImages(
        client,
        os.environ["BEDROCK_MODEL_ID"],
        on_throttle=lambda: metrics.add_metric(name=metric_names.MODEL_THROTTLES, unit="Count", value=1),
    )


def service() -> GeneratorService:
    global _service
    if _service is None:
        s3 = boto3.client("s3")
        store = ManifestStore(
            s3,
            os.environ["S3_BUCKET_NAME"],
            on_settled=on_campaign_settled(metrics, logger, s3, os.environ["S3_BUCKET_NAME"]),
        )
        _service = GeneratorService(
            s3, store, backend(), logger, metrics, max_attempts=int(os.environ.get("ASYNC_MAX_ATTEMPTS", 3))
        )
    return _service


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event, context):
    logger.append_keys(campaign_id=event["campaign_id"], product_index=event["product_index"])
    status = service().handle(
        event["campaign_id"], int(event["product_index"]), remaining_ms=context.get_remaining_time_in_millis
    )
    return {"campaign_id": event["campaign_id"], "product_index": event["product_index"], "status": status}
