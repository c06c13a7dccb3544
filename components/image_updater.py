"""The image-push updater: ECR push -> EventBridge -> Lambda -> new job-definition revision and the functions built
from the pushed repository, on the pushed digest. Only stacks that track `latest` have one (`__main__.py`): a pinned
stack (prod) runs exactly what `pulumi up` deployed.

Failures are never silent: EventBridge retries delivery and keeps undeliverable events in the DLQ;
Lambda retries a failed run twice and then sends the event to the same DLQ (on-failure destination).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.function_environment import StackValues, function_environment
from components.iam import policy_document, register_revisions, service_may_send
from components.images import ImageTarget
from components.lambda_function import lambda_function
from components.settings import StackSettings

SERVICE = "image-updater"
# The updater does not update itself: a broken updater image must not disable the mechanism that
# would roll it forward; its own changes deploy with `pulumi up`.
UPDATABLE_FUNCTIONS = ("parser", "generator", "variants", "api", "settler")
BATCH_WORKER = "batch-worker"


def updater_owns_code(settings: StackSettings, service: str) -> bool:
    """True for a function whose code the updater alone updates after creation (dev: parser, generator, variants,
    api, settler).

    Pulumi creates such a function and then ignores its image (`ignore_changes`), so a dev `pulumi up` and the
    updater run for the same push never both call UpdateFunctionCode on it. Pulumi still owns its configuration;
    the provider retries a configuration update that meets the updater's code update, and the updater retries the
    other way round (handlers/image_updater/service.py)."""
    return settings.images.tracks_latest and service in UPDATABLE_FUNCTIONS


def image_targets_config(
    targets: Mapping[str, ImageTarget], settings: StackSettings, job_definition_name: str
) -> list[dict[str, Any]]:
    """What the updater watches (env IMAGE_TARGETS), per service: repository, tracked tag, consumers. Nothing in a
    stack that pins a version tag: its functions and job definition change only through `pulumi up`."""
    if not settings.images.tracks_latest:
        return []
    return [
        {
            "service": service,
            "repository": target.repository_name,
            "tag": target.tag,
            "function": settings.names.function(service) if updater_owns_code(settings, service) else None,
            "job_definition": job_definition_name if service == BATCH_WORKER else None,
        }
        for service, target in targets.items()
        if service in UPDATABLE_FUNCTIONS or service == BATCH_WORKER
    ]


def event_pattern(targets: list[dict[str, Any]]) -> str:
    """Successful pushes of exactly this stack's repositories and tracked tags."""
    return json.dumps(
        {
            "source": ["aws.ecr"],
            "detail-type": ["ECR Image Action"],
            "detail": {
                "action-type": ["PUSH"],
                "result": ["SUCCESS"],
                "repository-name": sorted({t["repository"] for t in targets}),
                "image-tag": sorted({t["tag"] for t in targets}),
            },
        }
    )


@dataclass
class ImagePushUpdaterArgs:
    settings: StackSettings
    image_uri: pulumi.Input[str]
    targets: Mapping[str, ImageTarget]
    repository_arns: Mapping[str, pulumi.Input[str]]  # by service
    repository_urls: Mapping[str, pulumi.Input[str]]  # by service
    functions: Mapping[str, aws.lambda_.Function]  # the functions built from the stack's images, by service
    job_definition_name: str
    job_queue_name: pulumi.Input[str]
    job_role_arns: list[pulumi.Input[str]]  # roles the job definition passes to Batch


class ImagePushUpdater(pulumi.ComponentResource):
    """`function`, `rule`, `dlq`."""

    def __init__(self, name: str, args: ImagePushUpdaterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("creative-automation:updater:ImagePushUpdater", name, None, opts)
        settings = args.settings
        names = settings.names
        child = pulumi.ResourceOptions(parent=self)
        targets = image_targets_config(args.targets, settings, args.job_definition_name)
        if not targets:
            raise ValueError(f"{names.prefix} pins {settings.images.tag}: a pinned stack has no image-push updater")
        region = settings.region
        account_id = aws.get_caller_identity_output().account_id
        job_definition_arn = pulumi.Output.concat(
            "arn:aws:batch:", region, ":", account_id, ":job-definition/", args.job_definition_name
        )

        self.dlq = aws.sqs.Queue(
            "updater-dlq",
            name=f"{names.prefix}-image-updater-dlq",
            message_retention_seconds=settings.queue.dlq_retention_seconds,
            receive_wait_time_seconds=settings.queue.receive_wait_seconds,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        statements: list[dict[str, Any]] = [
            # DescribeJobDefinitions has no resource-level permission: AWS requires "*".
            {"Effect": "Allow", "Action": ["batch:DescribeJobDefinitions"], "Resource": "*"},
            # Only revisions that run an image of this stack's batch-worker repository, by digest.
            *register_revisions(job_definition_arn, args.repository_urls[BATCH_WORKER], args.job_role_arns),
            {
                "Effect": "Allow",
                "Action": ["ecr:DescribeImages"],
                "Resource": list({t["repository"]: args.repository_arns[t["service"]] for t in targets}.values()),
            },
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [self.dlq.arn]},
        ]
        updated = [t["function"] for t in targets if t["function"]]
        if updated:
            service_of = {settings.names.function(s): s for s in args.functions}
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": ["lambda:GetFunction", "lambda:UpdateFunctionCode"],
                    "Resource": [args.functions[service_of[f]].arn for f in updated],
                }
            )
        values = StackValues(
            bucket_name="",
            image_targets=targets,
            job_definition_name=args.job_definition_name,
            job_queue_name=args.job_queue_name,
        )
        self.function = lambda_function(
            self,
            settings,
            SERVICE,
            image_uri=args.image_uri,
            statements=statements,
            environment=function_environment(settings, SERVICE, values),
            logical_prefix="updater",
        ).function
        # EventBridge invokes asynchronously: a failed run is retried by Lambda, then kept in the DLQ.
        aws.lambda_.FunctionEventInvokeConfig(
            "updater-async",
            function_name=self.function.name,
            maximum_retry_attempts=settings.async_invoke.max_retry_attempts,
            maximum_event_age_in_seconds=settings.async_invoke.max_event_age_seconds,
            destination_config={"on_failure": {"destination": self.dlq.arn}},
            opts=child,
        )

        self.rule = aws.cloudwatch.EventRule(
            "image-pushed",
            name=f"{names.prefix}-image-pushed",
            description="Successful pushes of this stack's images, tracked tags only",
            event_pattern=event_pattern(targets),
            opts=child,
        )
        aws.sqs.QueuePolicy(
            "updater-dlq-policy",
            queue_url=self.dlq.url,
            policy=policy_document(
                [service_may_send("ThisRuleOnly", "events.amazonaws.com", self.dlq.arn, self.rule.arn)]
            ),
            opts=child,
        )
        permission = aws.lambda_.Permission(
            "updater-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="events.amazonaws.com",
            source_arn=self.rule.arn,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            "updater-target",
            rule=self.rule.name,
            arn=self.function.arn,
            retry_policy={"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 10},
            dead_letter_config={"arn": self.dlq.arn},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        self.register_outputs({"function_name": self.function.name, "rule_name": self.rule.name})
