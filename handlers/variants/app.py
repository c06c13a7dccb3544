"""Variants function: one product's source image -> five social-media JPEGs with the campaign message.

Invoked asynchronously (payloads: handlers/shared/payloads.py). A source that cannot be rendered marks the
product failed in the manifest; anything transient raises, so Lambda retries and then the on-failure
destination keeps the event.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.shared import metrics as metric_names
from handlers.shared.environment import VariantsEnvironment
from handlers.shared.payloads import RenderVariants
from handlers.shared.product_function import product_handler, settling_store
from handlers.shared.telemetry import logger_and_metrics
from handlers.variants.outpaint import ModelCall
from handlers.variants.rekognition import RekognitionSubjects
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
    return VariantsService(
        store.s3,
        store,
        logger,
        metrics,
        max_attempts=attempts,
        model=model(environment),
        can_expand=environment.image_models.can_expand,
        find_subjects=subject_finder(environment, store.s3),
    )


def subject_finder(environment: VariantsEnvironment, s3: Any) -> RekognitionSubjects | None:
    """Amazon Rekognition finds a photo's subject and faces; None: the offline detector does."""
    if environment.subject_detector != "rekognition":
        return None
    import boto3

    return RekognitionSubjects(boto3.client("rekognition"), s3, environment.bucket)


def model(environment: VariantsEnvironment) -> ModelCall | None:
    """The image model that paints a generative expand; None with the offline backend (its own fill) or without
    an outpaint model (expand refused)."""
    models = environment.image_models
    if not models.bedrock or models.outpaint_model_id is None:
        return None
    import boto3

    from handlers.generator.models import BedrockImages, client_config

    client = boto3.client("bedrock-runtime", region_name=models.region, config=client_config())
    return BedrockImages(
        client,
        models.outpaint_model_id,
        on_throttle=lambda: metrics.add_metric(name=metric_names.MODEL_THROTTLES, unit="Count", value=1),
    )


def render(request: RenderVariants, context: LambdaContext) -> str:
    return service().handle(
        request.campaign_id, request.product_index, request.source_key, context.get_remaining_time_in_millis
    )


handler = product_handler(RenderVariants, logger, metrics, render)
