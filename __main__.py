"""creative-automation: the stack in one page. Settings in, components wired, outputs exported."""

import pulumi

from components import settings as stack_settings
from components.batch import BatchJobs, BatchJobsArgs
from components.campaign_api import CampaignApi, CampaignApiArgs
from components.campaign_index import CampaignIndex, CampaignIndexArgs
from components.image_updater import ImagePushUpdater, ImagePushUpdaterArgs
from components.images import ContainerImages, ContainerImagesArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.pipeline import Pipeline, PipelineArgs
from components.settler import Settler, SettlerArgs

# Settings first: every config value is validated before any resource is declared.
settings = stack_settings.load()

images = ContainerImages("images", ContainerImagesArgs(settings=settings))
campaigns = CampaignIndex("campaign-index", CampaignIndexArgs(settings=settings))
pipeline = Pipeline(
    "pipeline", PipelineArgs(settings=settings, image_uris=images.image_uris, campaign_table_arn=campaigns.table.arn)
)
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
api = CampaignApi(
    "campaign-api",
    CampaignApiArgs(
        settings=settings,
        image_uri=images.image_uris["api"],
        bucket_name=pipeline.bucket.bucket,
        bucket_arn=pipeline.bucket.arn,
        table_arn=campaigns.table.arn,
        job_queue_name=batch.job_queue.name,
        job_queue_arn=batch.job_queue.arn,
        job_definition_name=batch.job_definition_name,
        job_definition_arn=batch.job_definition.arn_prefix,
        job_role_arns=[batch.execution_role.arn, batch.job_role.arn],
        batch_worker_repository_name=images.repositories["batch-worker"].name,
        batch_worker_repository_arn=images.repositories["batch-worker"].arn,
        batch_worker_repository_url=images.repository_urls["batch-worker"],
    ),
)
# No campaign stays running forever: failed asynchronous invocations and stuck products are settled.
settler = Settler(
    "settler",
    SettlerArgs(
        settings=settings,
        image_uri=images.image_uris["settler"],
        bucket_name=pipeline.bucket.bucket,
        bucket_arn=pipeline.bucket.arn,
        table_arn=campaigns.table.arn,
        failed_invocations_arn=pipeline.failed_invocations.arn,
        failed_jobs_rule=(batch.failed_jobs.name, batch.failed_jobs.arn),
    ),
)
# Only stacks that track `latest` get the image-push updater: a pinned stack (prod) runs exactly the digests
# `pulumi up` deployed, so nothing may register job-definition revisions or update functions behind its back.
updater = (
    ImagePushUpdater(
        "image-updater",
        ImagePushUpdaterArgs(
            settings=settings,
            image_uri=images.image_uris["image-updater"],
            targets=images.targets,
            repository_arns={service: repository.arn for service, repository in images.repositories.items()},
            repository_urls=images.repository_urls,
            functions={**pipeline.functions, "api": api.function, "settler": settler.function},
            job_definition_name=batch.job_definition_name,
            job_queue_name=batch.job_queue.name,
            job_role_arns=[batch.execution_role.arn, batch.job_role.arn],
        ),
    )
    if settings.images.tracks_latest
    else None
)
functions = {
    **pipeline.functions,
    **({"image-updater": updater.function} if updater else {}),
    "api": api.function,
    "settler": settler.function,
}
monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        settings=settings,
        functions={service: function.name for service, function in functions.items()},
        work_queues={"briefs": pipeline.queue.name, "failed-invocations": pipeline.failed_invocations.name},
        dead_letter_queues={
            "briefs-dlq": pipeline.dlq.name,
            "failed-invocations-dlq": pipeline.failed_invocations_dlq.name,
            **({"image-updater-dlq": updater.dlq.name} if updater else {}),
        },
        job_definition_name=batch.job_definition.name,
        api_id=api.api.id,
        failed_jobs_rule=(batch.failed_jobs.name, batch.failed_jobs.arn),
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
# Without a revision: Batch runs the newest ACTIVE one: in dev the updater's, in prod the one `pulumi up` registered.
pulumi.export("batch_job_definition", batch.job_definition.arn_prefix)
if updater:
    pulumi.export("image_updater_dlq_url", updater.dlq.url)
pulumi.export("api_url", api.url)
if api.token_url is not None:  # the stack's own user pool: where callers get tokens (never the client secret)
    pulumi.export("api_token_url", api.token_url)
    pulumi.export("api_client_id", api.client_id)
pulumi.export("campaign_table", campaigns.table.name)
pulumi.export("dashboard_name", monitoring.dashboard_name)
pulumi.export("alarm_topic_arn", monitoring.alarm_topic_arn)
