"""Monitoring: a dashboard per stack and alarms to an encrypted SNS topic (e-mail when configured), and also to an
existing topic when `alarms.topicArn` is set (prod needs one of the two: settings refuse it otherwise).

It watches plain names, so it wires to whatever created them: `functions` (service -> function name),
`work_queues` and `dead_letter_queues` (label -> queue name), the Batch job definition's name. The
dashboard body is built by the pure `components.dashboard.build_body` from the resolved names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.dashboard import API_GATEWAY, SERVICE_DIMENSION, UPDATER, build_body
from components.settings import StackSettings
from handlers.shared import metrics as metric_names

LABEL = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")  # becomes part of alarm and resource names

# Why each alarm treats missing data as it does. CloudWatch has no data point when nothing happened:
# Lambda publishes Errors only for invoked functions, an SQS queue idle (and empty) for 6 hours stops
# reporting, and the handlers emit ModelThrottles / ModelUnavailable / ImagePushFailed only when one occurs.
# In each case "no data" means "nothing wrong", so missing data is notBreaching (an alarm in ALARM goes back to OK
# instead of sticking in INSUFFICIENT_DATA). A DLQ that holds messages keeps reporting, so this cannot
# hide a message sitting in a DLQ.
TREAT_MISSING = {
    "dlq-messages": "notBreaching",
    "function-errors": "notBreaching",
    "model-throttles": "notBreaching",
    "model-unavailable": "notBreaching",
    "image-push-failed": "notBreaching",
    "oldest-message-age": "notBreaching",
    "api-server-errors": "notBreaching",  # an API nobody calls publishes no 5xx data point
}

# Key administration for the account (delegated to IAM policies), without kms:* (standards: no `*` actions).
# Spelled out: no wildcard action anywhere, key policies included.
KEY_ADMIN_ACTIONS = [
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DescribeKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "kms:RevokeGrant",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:DeleteAlias",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]
KEY_USE_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
]


@dataclass
class MonitoringArgs:
    settings: StackSettings
    functions: Mapping[str, pulumi.Input[str]]  # service (POWERTOOLS_SERVICE_NAME) -> function name
    work_queues: Mapping[str, pulumi.Input[str]]  # label -> name of a queue a function consumes
    dead_letter_queues: Mapping[str, pulumi.Input[str]]  # label -> name of a queue that must stay empty
    job_definition_name: pulumi.Input[str]
    api_id: pulumi.Input[str] | None = None  # the campaign API (HTTP API): its 4xx, 5xx and latency
    # The EventBridge rule of Batch jobs that ended FAILED (name, ARN): its events go to the alarm topics, in words.
    failed_jobs_rule: tuple[pulumi.Input[str], pulumi.Input[str]] | None = None
    updater_service: str = UPDATER  # its function alarms on any error, not on the threshold


class Monitoring(pulumi.ComponentResource):
    dashboard_name: pulumi.Output[str]
    alarm_topic_arn: pulumi.Output[str]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        _validate(args)
        super().__init__("creative-automation:monitoring:Monitoring", name, None, opts)
        settings, names, thresholds = args.settings, args.settings.names, args.settings.alarms
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        alarm_prefix = f"{names.prefix}-"
        alarm_arn_pattern = pulumi.Output.format(
            "arn:{0}:cloudwatch:{1}:{2}:alarm:{3}*", partition, settings.region, account, alarm_prefix
        )

        # CloudWatch cannot publish to a topic encrypted with the AWS managed alias/aws/sns key (its policy
        # cannot grant cloudwatch.amazonaws.com), so the topic gets a customer managed key that does.
        key = aws.kms.Key(
            "alarm-topic-key",
            description=f"{names.prefix}: encrypts the alarm topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministersAndUsesKey",
                            "Effect": "Allow",
                            "Principal": {"AWS": pulumi.Output.format("arn:{0}:iam::{1}:root", partition, account)},
                            "Action": KEY_ADMIN_ACTIONS + KEY_USE_ACTIONS,
                            "Resource": "*",
                        },  # in a key policy "*" is this key
                        {
                            "Sid": "CloudWatchAlarmsEncryptForTopic",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": "*",
                        },  # this key; AWS documents no source condition for this grant
                        *(
                            [
                                {
                                    "Sid": "EventBridgeEncryptsForTopic",
                                    "Effect": "Allow",
                                    "Principal": {"Service": "events.amazonaws.com"},
                                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                    "Resource": "*",
                                }  # this key: EventBridge delivers to an encrypted topic only with both
                            ]
                            if args.failed_jobs_rule
                            else []
                        ),
                    ],
                }
            ),
            opts=child,
        )
        aws.kms.Alias(
            "alarm-topic-key-alias", name=f"alias/{names.prefix}-alarms", target_key_id=key.key_id, opts=child
        )
        topic = aws.sns.Topic("alarm-topic", name=f"{names.prefix}-alarms", kms_master_key_id=key.arn, opts=child)
        aws.sns.TopicPolicy(
            "alarm-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudWatchAlarmsOfThisStackPublish",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": topic.arn,
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": account},
                                "ArnLike": {"aws:SourceArn": alarm_arn_pattern},
                            },
                        },
                        *(
                            [
                                {
                                    "Sid": "FailedBatchJobsRulePublishes",
                                    "Effect": "Allow",
                                    "Principal": {"Service": "events.amazonaws.com"},
                                    "Action": "sns:Publish",
                                    "Resource": topic.arn,
                                    "Condition": {"ArnEquals": {"aws:SourceArn": args.failed_jobs_rule[1]}},
                                }
                            ]
                            if args.failed_jobs_rule
                            else []
                        ),
                    ],
                }
            ),
            opts=child,
        )
        if thresholds.email:
            # AWS e-mails a confirmation link; notifications start once the recipient confirms.
            aws.sns.TopicSubscription(
                "alarm-email", topic=topic.arn, protocol="email", endpoint=thresholds.email, opts=child
            )

        # The stack's own topic stays (its ARN is a contract output); an existing topic gets the same alarms, so
        # a team's paging or chat integration receives them without a subscription made here.
        actions: list[pulumi.Input[str]] = [topic.arn, *([thresholds.topic_arn] if thresholds.topic_arn else [])]
        self.alarms = {}
        for spec in alarm_specs(args):
            self.alarms[spec.name] = aws.cloudwatch.MetricAlarm(
                spec.name,
                name=f"{alarm_prefix}{spec.name}",
                alarm_description=spec.description,
                alarm_actions=actions,
                ok_actions=actions,
                treat_missing_data=TREAT_MISSING[spec.kind],
                evaluation_periods=1,
                namespace=spec.namespace,
                metric_name=spec.metric,
                dimensions=dict(spec.dimensions),
                statistic=spec.statistic,
                period=spec.period,
                comparison_operator=spec.comparison,
                threshold=spec.threshold,
                opts=child,
            )

        if args.failed_jobs_rule:
            # A failed Batch job is an event, not a metric: the rule sends it to the same topics, in words.
            for index, destination in enumerate(actions):
                aws.cloudwatch.EventTarget(
                    f"failed-jobs-to-alarm-topic{'' if index == 0 else '-' + str(index)}",
                    rule=args.failed_jobs_rule[0],
                    arn=destination,
                    input_transformer=FAILED_JOB_MESSAGE,
                    opts=child,
                )

        # The body only is computed from resolved names; every resource is declared above, outside applies.
        services, work, dead = list(args.functions), list(args.work_queues), list(args.dead_letter_queues)
        alarm_arns = [a.arn for a in self.alarms.values()]

        def body(values: list[Any]) -> str:
            fns, rest = values[: len(services)], values[len(services) :]
            queues, rest = rest[: len(work)], rest[len(work) :]
            dlqs, rest = rest[: len(dead)], rest[len(dead) :]
            job_definition, api_id, arns = rest[0], rest[1], rest[2:]
            return build_body(
                region=settings.region,
                namespace=names.metrics_namespace,
                functions=dict(zip(services, fns, strict=False)),
                work_queues=dict(zip(work, queues, strict=False)),
                dead_letter_queues=dict(zip(dead, dlqs, strict=False)),
                job_definition_name=job_definition,
                api_id=api_id,
                alarm_arns=arns,
                title=f"{names.prefix} creative pipeline",
            )

        dashboard = aws.cloudwatch.Dashboard(
            "dashboard",
            dashboard_name=names.prefix,
            dashboard_body=pulumi.Output.all(
                *args.functions.values(),
                *args.work_queues.values(),
                *args.dead_letter_queues.values(),
                args.job_definition_name,
                args.api_id,
                *alarm_arns,
            ).apply(body),
            opts=child,
        )
        self.dashboard_name = dashboard.dashboard_name
        self.alarm_topic_arn = topic.arn
        self.register_outputs({"dashboard_name": self.dashboard_name, "alarm_topic_arn": self.alarm_topic_arn})


# The alarm topics' message for a Batch job that ended FAILED, from the event's detail (AWS Batch's JobDetail). A
# template that is a quoted string makes EventBridge deliver plain text, the values JSON-escaped inside it.
FAILED_JOB_MESSAGE = aws.cloudwatch.EventTargetInputTransformerArgs(
    input_paths={
        "job": "$.detail.jobName",
        "id": "$.detail.jobId",
        "reason": "$.detail.statusReason",
        "campaign": "$.detail.parameters.campaign_id",
        "definition": "$.detail.jobDefinition",
    },
    input_template=(
        '"Re-render job <job> (<id>) of campaign <campaign> FAILED after its last attempt: <reason>. It ran '
        "<definition>. The settler records the failure on the campaign's re-render (GET /campaigns/<campaign>); "
        "aws batch describe-jobs --jobs <id> names each attempt's reason and log stream.\""
    ),
)

AT_LEAST, ABOVE = "GreaterThanOrEqualToThreshold", "GreaterThanThreshold"


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: what it watches and when it fires (pure, so the table below is tested as data)."""

    name: str
    kind: str  # a key of TREAT_MISSING
    description: str
    namespace: str
    metric: str
    dimensions: Mapping[str, pulumi.Input[str]]
    statistic: str  # over `period` seconds, one period
    period: int
    comparison: str
    threshold: float


def model_callers(settings: StackSettings) -> tuple[str, ...]:
    """The functions that call an image model: the generator, and the variants where an outpaint model paints."""
    return ("generator", *(("variants",) if settings.outpaint_model else ()))


def alarm_specs(args: MonitoringArgs) -> list[AlarmSpec]:
    """Every alarm of the stack: DLQs holding a message, function errors (any for the updater), model throttles,
    failed image pushes, work queues whose oldest message waits too long, and the campaign API's 5xx answers (as
    many as the function-error threshold)."""
    limits, own = args.settings.alarms, args.settings.names.metrics_namespace
    error_limit = {
        service: 1 if service == args.updater_service else limits.function_errors for service in args.functions
    }
    # A table, kept as one: one alarm per entry, its fields in AlarmSpec's order.
    # fmt: off
    specs = [
        *(AlarmSpec(f"{label}-messages", "dlq-messages",
                    f"A message reached the dead-letter queue {label}: inspect it, fix the cause, redrive it.",
                    "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue}, "Maximum", 60,
                    AT_LEAST, 1)
          for label, queue in args.dead_letter_queues.items()),
        *(AlarmSpec(f"{service}-errors", "function-errors",
                    f"The {service} function failed {error_limit[service]} or more times in 5 minutes"
                    + (" (the image-push updater: any failure)." if service == args.updater_service else "."),
                    "AWS/Lambda", "Errors", {"FunctionName": function}, "Sum", 300, AT_LEAST, error_limit[service])
          for service, function in args.functions.items()),
        *(AlarmSpec(f"{label}-oldest-message-age", "oldest-message-age",
                    f"The oldest message in {label} waited more than {limits.oldest_message_age_seconds} s: "
                    "its consumer is failing, throttled or too slow.",
                    "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": queue}, "Maximum", 300, ABOVE,
                    limits.oldest_message_age_seconds)
          for label, queue in args.work_queues.items()),
    ]
    for service in model_callers(args.settings):  # ModelThrottles and ModelUnavailable, per function
        if service not in args.functions:
            continue
        specs.append(AlarmSpec(
            "model-throttles" if service == "generator" else f"{service}-model-throttles", "model-throttles",
            f"The image model throttled the {service} function {limits.model_throttles} or more times in 5 minutes.",
            own, metric_names.MODEL_THROTTLES, {SERVICE_DIMENSION: service}, "Sum", 300, AT_LEAST,
            limits.model_throttles))
        specs.append(AlarmSpec(
            f"{service}-model-unavailable", "model-unavailable",
            f"Bedrock refused the {service} function's image model (ended, not enabled for the account, or not "
            "callable as configured): every product that needs it fails. See the product's error, "
            "docs/settings.md#image-models and docs/deploying.md#model-access.",
            own, metric_names.MODEL_UNAVAILABLE, {SERVICE_DIMENSION: service}, "Sum", 300, AT_LEAST, 1))
    if args.api_id is not None:
        specs.append(AlarmSpec(
            "api-server-errors", "api-server-errors",
            f"The campaign API answered {limits.function_errors} or more requests with a 5xx in 5 minutes.",
            API_GATEWAY, "5xx", {"ApiId": args.api_id}, "Sum", 300, AT_LEAST, limits.function_errors))
    if args.updater_service in args.functions:
        specs.append(AlarmSpec(
            "image-push-failed", "image-push-failed",
            "The image-push updater could not register a job-definition revision or update a function.",
            own, metric_names.UPDATER_FAILED, {SERVICE_DIMENSION: args.updater_service}, "Sum", 300, AT_LEAST, 1))
    # fmt: on
    return specs


def _validate(args: MonitoringArgs) -> None:
    for kind, mapping in (
        ("work_queues", args.work_queues),
        ("dead_letter_queues", args.dead_letter_queues),
        ("functions", args.functions),
    ):
        for label in mapping:
            if not LABEL.match(label):
                raise ValueError(
                    f"Monitoring {kind} label {label!r}: expected lower-case letters, digits and '-' "
                    "(it becomes part of alarm names)"
                )
    if not args.functions:
        raise ValueError("Monitoring functions is empty: expected service -> function name")
