"""creative-automation: the stack in one page. Settings in, components wired, outputs exported."""

import pulumi

from components import settings as stack_settings
from components.images import ContainerImages, ContainerImagesArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.settings import FUNCTION_SERVICES

# Settings first: every config value is validated before any resource is declared.
settings = stack_settings.load()
names = settings.names

images = ContainerImages("images", ContainerImagesArgs(settings=settings))

# Monitoring watches names. Until the pipeline, Batch and updater components land on this branch these
# are the names those components create (settings.names); at merge, wire their resources' outputs instead:
# functions -> pipeline.functions[s].name / updater function .name, queues -> .name, job definition -> .name.
PLACEHOLDER_FAILED_INVOCATIONS_QUEUE = f"{names.prefix}-failed-invocations"  # pipeline.failed_invocations.name
PLACEHOLDER_UPDATER_DLQ = f"{names.prefix}-image-updater-dlq"  # the updater component's DLQ .name
PLACEHOLDER_JOB_DEFINITION = f"{names.prefix}-batch-worker"  # the Batch component's job definition .name
monitoring = Monitoring("monitoring", MonitoringArgs(
    settings=settings,
    functions={service: names.function(service) for service in FUNCTION_SERVICES},
    work_queues={"briefs": names.queue},
    dead_letter_queues={
        "briefs-dlq": names.dlq,
        "failed-invocations": PLACEHOLDER_FAILED_INVOCATIONS_QUEUE,
        "image-updater-dlq": PLACEHOLDER_UPDATER_DLQ,
    },
    job_definition_name=PLACEHOLDER_JOB_DEFINITION,
))

pulumi.export("environment", settings.environment)
pulumi.export("repository_urls", images.repository_urls)
pulumi.export("image_uris", images.image_uris)
pulumi.export("dashboard_name", monitoring.dashboard_name)
pulumi.export("alarm_topic_arn", monitoring.alarm_topic_arn)
