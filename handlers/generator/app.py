"""Generator function: a product shot from Amazon Bedrock (or the offline placeholder), then variants.

Invoked asynchronously by the parser (payloads: handlers/shared/payloads.py). A content-filtered result fails
the product with the filter's reason and is not retried; throttling and timeouts are retried here with
backoff while another model call fits before the function's deadline, then raised so Lambda's own retries
and the on-failure destination take over.
"""

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.generator.service import GeneratorService, ImageBackend
from handlers.shared import metrics as metric_names
from handlers.shared.environment import GeneratorEnvironment
from handlers.shared.payloads import GenerateImage
from handlers.shared.product_function import product_handler, settling_store
from handlers.shared.telemetry import logger_and_metrics

logger, metrics = logger_and_metrics("generator")
_service: GeneratorService | None = None


def backend(environment: GeneratorEnvironment) -> ImageBackend:
    models = environment.image_models
    if not models.bedrock:
        from handlers.generator.placeholder import PlaceholderImages

        return PlaceholderImages()
    from handlers.generator.models import BedrockImages, client_config

    # The model's Region, which may not be the function's (Stability's text-to-image models: us-west-2 only).
    client = boto3.client("bedrock-runtime", region_name=models.region, config=client_config())
    return BedrockImages(
        client,
        models.model_id or "",
        on_throttle=lambda: metrics.add_metric(name=metric_names.MODEL_THROTTLES, unit="Count", value=1),
    )


def service() -> GeneratorService:
    global _service
    if _service is None:
        environment = GeneratorEnvironment.read()
        store = settling_store(environment.bucket, logger, metrics, environment.campaign_table)
        _service = GeneratorService(
            store.s3, store, backend(environment), logger, metrics, max_attempts=environment.async_max_attempts
        )
    return _service


def generate(request: GenerateImage, context: LambdaContext) -> str:
    return service().handle(
        request.campaign_id, request.product_index, remaining_ms=context.get_remaining_time_in_millis
    )


handler = product_handler(GenerateImage, logger, metrics, generate)
