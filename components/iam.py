"""IAM documents the components share: least privilege, each statement built one way."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from handlers.shared.image_models import ModelChoice


def assume_role(service_principal: str) -> str:
    """A trust policy letting one AWS service (lambda.amazonaws.com, ecs-tasks.amazonaws.com) assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service_principal}, "Action": "sts:AssumeRole"}],
        }
    )


def policy_document(statements: list[dict[str, Any]]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def objects(bucket_arn: pulumi.Input[str], prefix: str) -> pulumi.Output[str]:
    """The ARN of every object under `prefix` of the bucket."""
    return pulumi.Output.concat(bucket_arn, "/", prefix, "*")


def list_prefixes(bucket_arn: pulumi.Input[str], *prefixes: str) -> dict[str, Any]:
    """Listing the keys under each of `prefixes`."""
    return list_matching(bucket_arn, *(f"{p}*" for p in prefixes))


def list_matching(bucket_arn: pulumi.Input[str], *patterns: str) -> dict[str, Any]:
    # ListBucket is granted on the bucket ARN (AWS has no object-level form) and narrowed by s3:prefix, the
    # Prefix of the listing request, matched as StringLike patterns (`*` spans `/`).
    return {
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": bucket_arn,
        "Condition": {"StringLike": {"s3:prefix": list(patterns)}},
    }


def service_may_send(
    sid: str,
    service_principal: str,
    queue_arn: pulumi.Input[str],
    source_arn: pulumi.Input[str],
    source_account: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    """A queue-policy statement: one AWS service may send to the queue, only on behalf of one resource (and account)."""
    condition: dict[str, Any] = {"ArnEquals": {"aws:SourceArn": source_arn}}
    if source_account is not None:
        condition["StringEquals"] = {"aws:SourceAccount": source_account}
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": service_principal},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": condition,
    }


def log_statement(log_group_arn: pulumi.Input[str]) -> dict[str, Any]:
    # The log group is made by the stack, so no logs:CreateLogGroup; streams live under the group's ARN.
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": pulumi.Output.concat(log_group_arn, ":log-stream:*"),
    }


def table_items(table_arn: pulumi.Input[str], actions: list[str], *, indexes: bool = False) -> dict[str, Any]:
    """Item actions on one DynamoDB table (and its indexes, for Query on an index: AWS authorizes that on
    `<table>/index/<name>`)."""
    resources: list[pulumi.Input[str]] = [table_arn]
    if indexes:
        resources.append(pulumi.Output.concat(table_arn, "/index/*"))
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


# Batch's RegisterJobDefinition passes the job's execution and job roles on. AWS does not document which service
# name that check reports, so both the service registering them (batch) and the one that assumes them (ecs-tasks,
# the only principal their trust policies admit) are allowed; passing them to anything else (Lambda, EC2) is not.
PASSED_TO = ["batch.amazonaws.com", "ecs-tasks.amazonaws.com"]


def register_revisions(
    job_definition_arn: pulumi.Input[str],
    worker_repository_url: pulumi.Input[str],
    job_role_arns: list[pulumi.Input[str]],
) -> list[dict[str, Any]]:
    """Registering (and tagging) revisions of one job definition, only with an image of one repository by digest,
    passing exactly the job's roles to Batch."""
    revisions = [job_definition_arn, pulumi.Output.concat(job_definition_arn, ":*")]
    return [
        {
            "Effect": "Allow",
            "Action": ["batch:RegisterJobDefinition"],
            "Resource": revisions,
            "Condition": {"StringLike": {"batch:Image": [pulumi.Output.concat(worker_repository_url, "@sha256:*")]}},
        },
        # Tagging the new revision; batch:Image does not apply to TagResource.
        {"Effect": "Allow", "Action": ["batch:TagResource"], "Resource": revisions},
        {
            "Effect": "Allow",
            "Action": ["iam:PassRole"],
            "Resource": list(job_role_arns),
            "Condition": {"StringEquals": {"iam:PassedToService": PASSED_TO}},
        },
    ]


def consume_queue(queue_arn: pulumi.Input[str]) -> dict[str, Any]:
    """What a Lambda event source mapping needs of its function's role to read one SQS queue."""
    return {
        "Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
        "Resource": [queue_arn],
    }


def invoke_model(model: ModelChoice, account_id: pulumi.Input[str]) -> list[dict[str, Any]]:
    """bedrock:InvokeModel on exactly the model a function calls. Through a cross-Region inference profile: the
    profile, and the foundation model in each of its destination Regions, usable only through that profile (AWS
    Bedrock user guide, prerequisites for inference profiles; geographic cross-Region inference)."""
    models = model.foundation_model_arns()
    if model.profile is None:
        return [{"Effect": "Allow", "Action": ["bedrock:InvokeModel"], "Resource": models}]
    profile = pulumi.Output.from_input(account_id).apply(lambda account: model.profile_arn(account))
    return [
        {"Effect": "Allow", "Action": ["bedrock:InvokeModel"], "Resource": [profile]},
        {
            "Effect": "Allow",
            "Action": ["bedrock:InvokeModel"],
            "Resource": models,
            "Condition": {"ArnEquals": {"bedrock:InferenceProfileArn": profile}},  # the key is of type ARN
        },
    ]
