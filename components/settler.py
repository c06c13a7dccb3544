"""The settler: no campaign stays running forever.

Three triggers for one function: the failed-invocations queue (Lambda's on-failure destination of the generator and
variants: an event too old, or out of retries, whose product would otherwise stay `generating`/`rendering`), read
in batches that report item failures; an EventBridge schedule every 10 minutes that sweeps the open campaigns
for products with no progress for `STUCK_AFTER_SECONDS` (settings: past every attempt Lambda could still make);
and the Batch rule of failed jobs, whose campaign's re-render it settles failed, in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.function_environment import StackValues, function_environment, stuck_after_seconds
from components.iam import consume_queue, list_matching, objects, table_items
from components.image_updater import updater_owns_code
from components.lambda_function import lambda_function
from components.settings import StackSettings
from handlers.shared.bucket_layout import OPEN_PREFIX, OUTPUT_PREFIX, manifest_key

SERVICE = "settler"
SWEEP_SCHEDULE = "rate(10 minutes)"
# Failure records are small and independent: a batch of 10, gathered for up to 5 s.
BATCH_SIZE, BATCHING_WINDOW_SECONDS = 10, 5


@dataclass
class SettlerArgs:
    settings: StackSettings
    image_uri: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    failed_invocations_arn: pulumi.Input[str]  # the queue it consumes
    failed_jobs_rule: tuple[pulumi.Input[str], pulumi.Input[str]]  # (name, ARN): Batch jobs that ended FAILED


class Settler(pulumi.ComponentResource):
    """`function`, `sweep` (the schedule's rule)."""

    def __init__(self, name: str, args: SettlerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("creative-automation:settler:Settler", name, None, opts)
        settings = args.settings
        names = settings.names
        child = pulumi.ResourceOptions(parent=self)
        made = lambda_function(
            self,
            settings,
            SERVICE,
            image_uri=args.image_uri,
            statements=settler_statements(args),
            environment=function_environment(settings, SERVICE, StackValues(bucket_name=args.bucket_name)),
            image_owned_by_updater=updater_owns_code(settings, SERVICE),
        )
        self.function = made.function

        aws.lambda_.EventSourceMapping(
            "failed-invocations-to-settler",
            event_source_arn=args.failed_invocations_arn,
            function_name=self.function.arn,
            batch_size=BATCH_SIZE,
            maximum_batching_window_in_seconds=BATCHING_WINDOW_SECONDS,
            function_response_types=["ReportBatchItemFailures"],
            # Lambda checks at creation that the role may receive from the queue.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[made.role_policy]),
        )

        self.sweep = aws.cloudwatch.EventRule(
            "sweep",
            name=f"{names.prefix}-settle-sweep",
            description=f"Every 10 minutes: settle products with no progress for {stuck_after_seconds(settings)} s",
            schedule_expression=SWEEP_SCHEDULE,
            opts=child,
        )
        permission = aws.lambda_.Permission(
            "sweep-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="events.amazonaws.com",
            source_arn=self.sweep.arn,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            "sweep-target",
            rule=self.sweep.name,
            arn=self.function.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )
        # A re-render job that ended FAILED: its campaign's re-render is settled failed, in words.
        failed_jobs_permission = aws.lambda_.Permission(
            "failed-jobs-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="events.amazonaws.com",
            source_arn=args.failed_jobs_rule[1],
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            "failed-jobs-target",
            rule=args.failed_jobs_rule[0],
            arn=self.function.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[failed_jobs_permission]),
        )
        # EventBridge invokes asynchronously: Lambda retries a failed invocation twice (Lambda's default, stated).
        # Both kinds only set state (a failed product, a failed re-render), so a retry never does anything twice;
        # a sweep retried late overlaps the next one harmlessly.
        aws.lambda_.FunctionEventInvokeConfig(
            "settler-async",
            function_name=self.function.name,
            maximum_retry_attempts=2,
            # its name when it served the sweep alone: an update in place, not a replacement
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name="sweep-async")]),
        )
        self.register_outputs({"function_name": self.function.name, "sweep_rule": self.sweep.name})


def settler_statements(args: SettlerArgs) -> list[dict[str, Any]]:
    """What the settler may do, beyond writing its own logs: read and settle manifests, drop settled campaigns'
    markers, update the campaign index, and consume the failed-invocations queue."""
    bucket = args.bucket_arn
    return [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [objects(bucket, OUTPUT_PREFIX)]},
        {"Effect": "Allow", "Action": ["s3:DeleteObject"], "Resource": [objects(bucket, OPEN_PREFIX)]},
        # The sweep lists the open campaigns' markers; reading a manifest lists its one key when S3 answers 403 (a
        # missing key, for a reader that may not list its folder: ManifestStore.read), so a marker whose campaign
        # lost its manifest is settled, not retried forever. Never output/ itself.
        list_matching(bucket, f"{OPEN_PREFIX}*", manifest_key("*")),
        table_items(args.table_arn, ["dynamodb:UpdateItem"]),
        consume_queue(args.failed_invocations_arn),
    ]
