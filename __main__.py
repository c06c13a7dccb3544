"""creative-automation: the stack in one page. Settings in, components wired, outputs exported."""

import pulumi

from components import settings as stack_settings
from components.batch import BatchJobs, BatchJobsArgs
from components.image_updater import ImagePushUpdater, ImagePushUpdaterArgs
from components.images import ContainerImages, ContainerImagesArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.pipeline import Pipeline, PipelineArgs

# Settings first: every config value is validated before any resource is declared.
settings = stack_settings.load()

images = ContainerImages("images", ContainerImagesArgs(settings=settings))
pipeline = Pipeline("pipeline", PipelineArgs(settings=settings, image_uris=images.image_uris))
batch = BatchJobs(
    "batch",
    BatchJobsArgs(
        settings=settings,
        image_uri=images.image_uris["batch-worker"],
        repository_arn=images.repositories["batch-worker"].arn,
        bucket_name=pipeline.bucket.bucket,
        bucket_arn=pipeline.bucket.arn,
        variants_function_arn=pipeline.functions["variants"].arn,
    ),
)
updater = ImagePushUpdater(
    "image-updater",
    ImagePushUpdaterArgs(
        settings=settings,
        image_uri=images.image_uris["image-updater"],
        targets=images.targets,
        repository_arns={service: repository.arn for service, repository in images.repositories.items()},
        functions=pipeline.functions,
        job_definition_name=batch.job_definition_name,
        job_queue_name=batch.job_queue.name,
        job_role_arns=[batch.execution_role.arn, batch.job_role.arn],
    ),
)
functions = {**pipeline.functions, "image-updater": updater.function}
monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        settings=settings,
        functions={service: function.name for service, function in functions.items()},
        work_queues={"briefs": pipeline.queue.name},
        dead_letter_queues={
            "briefs-dlq": pipeline.dlq.name,
            "failed-invocations": pipeline.failed_invocations.name,
            "image-updater-dlq": updater.dlq.name,
        },
        job_definition_name=batch.job_definition.name,
    ),
)

pulumi.export("environment", settings.environment)
pulumi.export("bucket_name", pipeline.bucket.bucket)
pulumi.export("queue_url", pipeline.queue.url)
pulumi.export("queue_name", pipeline.queue.name)
pulumi.export("dlq_url", pipeline.dlq.url)
pulumi.export("dlq_name", pipeline.dlq.name)
pulumi.export("failed_invocations_queue_url", pipeline.failed_invocations.url)
pulumi.export("function_names", {service: function.name for service, function in functions.items()})
pulumi.export("repository_urls", images.repository_urls)
pulumi.export("image_uris", images.image_uris)
pulumi.export("batch_job_queue", batch.job_queue.name)
# Without a revision: Batch runs the newest ACTIVE one, so jobs pick up the updater's revisions.
pulumi.export("batch_job_definition", batch.job_definition.arn_prefix)
pulumi.export("image_updater_dlq_url", updater.dlq.url)
pulumi.export("dashboard_name", monitoring.dashboard_name)
pulumi.export("alarm_topic_arn", monitoring.alarm_topic_arn)
