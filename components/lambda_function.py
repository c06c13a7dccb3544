"""One Lambda function from a container image, as every function of the stack is made: its log group (made first,
with the stack's retention), its role with one inline policy (the function's statements plus writing its own
logs), and the function itself, JSON logs into that group.

A plain helper, not a component: the resources stay children of the component that asks for them, under the
logical names they always had, so existing stacks see no replacement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.iam import assume_role, log_statement, policy_document
from components.settings import StackSettings

# The stack's log levels (settings) -> Lambda's application log levels.
LAMBDA_LOG_LEVELS = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR"}


@dataclass(frozen=True)
class LambdaFunction:
    function: aws.lambda_.Function
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy


def lambda_function(
    parent: pulumi.Resource,
    settings: StackSettings,
    service: str,
    *,
    image_uri: pulumi.Input[str],
    statements: list[dict[str, Any]],
    environment: Mapping[str, pulumi.Input[str]],
    logical_prefix: str | None = None,
    image_owned_by_updater: bool = False,
) -> LambdaFunction:
    """`service`'s function (settings.functions[service]); `logical_prefix` names its log group, role and
    policy (`<prefix>-logs`, `-role`, `-policy`; default: the service). `image_owned_by_updater`: Pulumi sets the
    image only when it creates the function; later images reach it through the image-push updater alone."""
    names = settings.names
    prefix = logical_prefix or service
    config = settings.functions[service]
    child = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(
        f"{prefix}-logs", name=names.log_group(service), retention_in_days=settings.log_retention_days, opts=child
    )
    role = aws.iam.Role(
        f"{prefix}-role",
        name=f"{names.function(service)}-role",
        assume_role_policy=assume_role("lambda.amazonaws.com"),
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(
        f"{prefix}-policy",
        role=role.id,
        policy=policy_document([*statements, log_statement(log_group.arn)]),
        opts=child,
    )
    function = aws.lambda_.Function(
        service,
        name=names.function(service),
        role=role.arn,
        package_type="Image",
        image_uri=image_uri,
        architectures=["arm64" if settings.images.platform == "linux/arm64" else "x86_64"],
        memory_size=config.memory_mb,
        timeout=config.timeout_seconds,
        reserved_concurrent_executions=config.reserved_concurrency,
        # Lambda filters JSON logs below the application log level (INFO unless set): the stack's level, in
        # Lambda's spelling, so dev's DEBUG lines reach CloudWatch.
        logging_config={
            "log_format": "JSON",
            "log_group": log_group.name,
            "application_log_level": LAMBDA_LOG_LEVELS[settings.log_level],
        },
        environment={"variables": dict(environment)},
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=[log_group, role_policy],
            ignore_changes=["image_uri"] if image_owned_by_updater else None,
        ),
    )
    return LambdaFunction(function, log_group, role, role_policy)
