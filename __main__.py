"""creative-automation: the stack in one page. Settings in, components wired, outputs exported."""

import pulumi

from components import settings as stack_settings
from components.images import ContainerImages, ContainerImagesArgs
from components.pipeline import Pipeline, PipelineArgs

# Settings first: every config value is validated before any resource is declared.
settings = stack_settings.load()

images = ContainerImages("images", ContainerImagesArgs(settings=settings))
pipeline = Pipeline("pipeline", PipelineArgs(settings=settings, image_uris=images.image_uris))

pulumi.export("environment", settings.environment)
pulumi.export("bucket_name", pipeline.bucket.bucket)
pulumi.export("queue_url", pipeline.queue.url)
pulumi.export("queue_name", pipeline.queue.name)
pulumi.export("dlq_url", pipeline.dlq.url)
pulumi.export("dlq_name", pipeline.dlq.name)
pulumi.export("failed_invocations_queue_url", pipeline.failed_invocations.url)
pulumi.export("function_names", {service: function.name for service, function in pipeline.functions.items()})
pulumi.export("repository_urls", images.repository_urls)
pulumi.export("image_uris", images.image_uris)
