"""Variants function: one product's source image -> five social-media JPEGs with the campaign message.

Invoked asynchronously (payloads: handlers/shared/payloads.py). A source that cannot be rendered marks the
product failed in the manifest; anything transient raises, so Lambda retries and then the on-failure
destination keeps the event.
"""

from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.shared.environment import VariantsEnvironment
from handlers.shared.payloads import RenderVariants
from handlers.shared.product_function import product_handler, settling_store
from handlers.shared.telemetry import logger_and_metrics
from handlers.variants.outpaint import ModelCall
from handlers.variants.service import VariantsService

logger, metrics = logger_and_metrics("variants")
_service: VariantsService | None = None


def service() -> VariantsService:
    global _service
    if _service is None:
        _service = build_service(VariantsEnvironment.read())
    return _service


def build_service(environment: VariantsEnvironment) -> VariantsService:
    store = settling_store(environment.bucket, logger, metrics, environment.campaign_table)
    attempts = environment.async_max_attempts
    return VariantsService(store.s3, store, logger, metrics, max_attempts=attempts, model=model(environment))


def model(environment: VariantsEnvironment) -> ModelCall | None:
    """The image model that paints a generative expand; None with the offline backend (its own fill)."""
    if environment.image_backend != "bedrock":
        return None
    import boto3

    from handlers.generator.models import BedrockImages, client_config

    return BedrockImages(boto3.client("bedrock-runtime", config=client_config()), environment.bedrock_model_id or "")


def render(request: RenderVariants, context: LambdaContext) -> str:
    return service().handle(request.campaign_id, request.product_index, request.source_key)


handler = product_handler(RenderVariants, logger, metrics, render)
