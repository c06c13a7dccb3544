"""What `pulumi up` needs of AWS for one stack: the deploy role's policy document, printed as JSON.

    python -m tools.deploy_policy dev --account 111122223333
    python -m tools.deploy_policy prod --account 111122223333 --region us-east-1

Names come from the stack's settings (Pulumi.<stack>.yaml), as the program derives them: every resource the stack
names starts with `creative-automation-<stack>` (the repositories follow `images.layout` and
`images.environmentInRepositoryName`), so a deploy role scoped this way cannot touch another stack's resources in
the same account. Resources AWS names itself (the KMS key, the user pool and its clients, the HTTP API, security
groups) and actions without resource-level permissions take `*`, each said where.

The actions are those the AWS provider (terraform-provider-aws, under pulumi-aws) calls to create, read, update
and delete each resource type of the stack (STATEMENTS_FOR), plus what AWS checks of the caller beyond them:
Lambda's pull permission on the repository (it adds a statement to the repository policy:
ecr:GetRepositoryPolicy/SetRepositoryPolicy), Batch's service-linked role (iam:CreateServiceLinkedRole, the first
time an account uses Batch), passing the stack's roles, the API's access-log delivery (logs:*LogDelivery), and the
image push (ECR's layer upload actions). tests/infrastructure/test_ci_roles.py lints every document with parliament
and checks that each resource type the stacks declare has its statements.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from components.images import image_targets
from components.settings import read_stack_file, settings_from_values
from components.settings.model import StackSettings

ANY = "*"


def statements(settings: StackSettings, account: str) -> dict[str, dict[str, Any]]:
    """Sid -> statement (without the Sid), for `settings`' stack in `account`."""
    region, prefix = settings.region, settings.names.prefix
    arn = f"arn:aws:{{service}}:{region}:{account}:{{resource}}"

    def at(service: str, *resources: str) -> list[str]:
        return [arn.format(service=service, resource=resource) for resource in resources]

    repositories = sorted({target.repository_name for target in image_targets(settings).values()})
    roles = f"arn:aws:iam::{account}:role/{prefix}-*"
    found: dict[str, dict[str, Any]] = {
        "Identity": {"Action": ["sts:GetCallerIdentity"], "Resource": ANY},  # no resource-level permission
        "Network": {  # Describe actions take no resource ARN
            "Action": [
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSecurityGroupRules",
                "ec2:DescribeNetworkInterfaces",
            ],
            "Resource": ANY,
        },
        "Bucket": {
            "Action": [
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:ListBucket",
                "s3:GetBucketAcl",
                "s3:GetBucketCORS",
                "s3:GetBucketWebsite",
                "s3:GetBucketVersioning",
                "s3:PutBucketVersioning",
                "s3:GetAccelerateConfiguration",
                "s3:GetBucketRequestPayment",
                "s3:GetBucketLogging",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:GetEncryptionConfiguration",
                "s3:PutEncryptionConfiguration",
                "s3:GetBucketObjectLockConfiguration",
                "s3:GetBucketPolicy",
                "s3:PutBucketPolicy",
                "s3:DeleteBucketPolicy",
                "s3:GetBucketTagging",
                "s3:PutBucketTagging",
                "s3:GetBucketOwnershipControls",
                "s3:PutBucketOwnershipControls",
                "s3:GetBucketPublicAccessBlock",
                "s3:PutBucketPublicAccessBlock",
                "s3:GetBucketNotification",
                "s3:PutBucketNotification",
            ],
            "Resource": [f"arn:aws:s3:::{prefix}-*"],
        },
        "Queues": {
            "Action": [
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:GetQueueAttributes",
                "sqs:SetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListQueueTags",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ],
            "Resource": at("sqs", f"{prefix}-*"),
        },
        "Functions": {
            "Action": [
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:GetFunction",
                "lambda:GetFunctionConfiguration",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:ListVersionsByFunction",
                "lambda:GetFunctionCodeSigningConfig",
                "lambda:GetRuntimeManagementConfig",
                "lambda:GetFunctionConcurrency",
                "lambda:PutFunctionConcurrency",
                "lambda:DeleteFunctionConcurrency",
                "lambda:ListTags",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:AddPermission",
                "lambda:RemovePermission",
                "lambda:GetPolicy",
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:UpdateFunctionEventInvokeConfig",
                "lambda:GetFunctionEventInvokeConfig",
                "lambda:DeleteFunctionEventInvokeConfig",
            ],
            "Resource": at("lambda", f"function:{prefix}-*"),
        },
        # AWS names a mapping by a UUID: the condition keeps them to the stack's functions
        "EventSourceMappingCreate": {
            "Action": ["lambda:CreateEventSourceMapping"],
            "Resource": ANY,  # no resource-level permission
            "Condition": {"ArnLike": {"lambda:FunctionArn": at("lambda", f"function:{prefix}-*")}},
        },
        "EventSourceMappings": {
            "Action": [
                "lambda:GetEventSourceMapping",
                "lambda:UpdateEventSourceMapping",
                "lambda:DeleteEventSourceMapping",
            ],
            "Resource": at("lambda", "event-source-mapping:*"),
            "Condition": {"ArnLike": {"lambda:FunctionArn": at("lambda", f"function:{prefix}-*")}},
        },
        "Roles": {
            "Action": [
                "iam:CreateRole",
                "iam:GetRole",
                "iam:DeleteRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
            ],
            "Resource": [roles],
        },
        "PassStackRoles": {
            "Action": ["iam:PassRole"],
            "Resource": [roles],
            # to the functions (CreateFunction) and the job definition (RegisterJobDefinition) only
            "Condition": {
                "StringEquals": {
                    "iam:PassedToService": ["lambda.amazonaws.com", "batch.amazonaws.com", "ecs-tasks.amazonaws.com"]
                }
            },
        },
        "BatchServiceLinkedRole": {
            "Action": ["iam:CreateServiceLinkedRole"],
            "Resource": [f"arn:aws:iam::{account}:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"],
            "Condition": {"StringEquals": {"iam:AWSServiceName": "batch.amazonaws.com"}},
        },
        "Repositories": {
            "Action": [
                "ecr:CreateRepository",
                "ecr:DeleteRepository",
                "ecr:DescribeRepositories",
                "ecr:PutImageScanningConfiguration",
                "ecr:PutImageTagMutability",
                "ecr:ListTagsForResource",
                "ecr:TagResource",
                "ecr:UntagResource",
                "ecr:PutLifecyclePolicy",
                "ecr:GetLifecyclePolicy",
                "ecr:DeleteLifecyclePolicy",
                # Lambda adds its pull statement to the repository policy when the caller may set it
                "ecr:GetRepositoryPolicy",
                "ecr:SetRepositoryPolicy",
                # the build: pull the cache image, push layers and the manifest; resolve mode: DescribeImages
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:PutImage",
                "ecr:DescribeImages",
            ],
            "Resource": at("ecr", *(f"repository/{name}" for name in repositories)),
        },
        "RegistryLogin": {"Action": ["ecr:GetAuthorizationToken"], "Resource": ANY},  # no resource-level permission
        "Batch": {
            "Action": [
                "batch:CreateComputeEnvironment",
                "batch:UpdateComputeEnvironment",
                "batch:DeleteComputeEnvironment",
                "batch:CreateJobQueue",
                "batch:UpdateJobQueue",
                "batch:DeleteJobQueue",
                "batch:RegisterJobDefinition",
                "batch:DeregisterJobDefinition",
                "batch:TagResource",
                "batch:UntagResource",
                "batch:ListTagsForResource",
            ],
            "Resource": at(
                "batch",
                f"compute-environment/{prefix}-*",
                f"job-queue/{prefix}-*",
                f"job-definition/{prefix}-*",
            ),
        },
        "BatchDescribe": {  # Describe actions take no resource ARN
            "Action": ["batch:DescribeComputeEnvironments", "batch:DescribeJobQueues", "batch:DescribeJobDefinitions"],
            "Resource": ANY,
        },
        "LogGroups": {
            "Action": [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:DeleteRetentionPolicy",
                "logs:ListTagsForResource",
                "logs:TagResource",
                "logs:UntagResource",
            ],
            "Resource": at(
                "logs",
                *(
                    f"log-group:{group}{prefix}-*"
                    for group in ("/aws/lambda/", "/aws/batch/", "/aws/vendedlogs/apigateway/")
                ),
            ),
        },
        "LogGroupsDescribe": {"Action": ["logs:DescribeLogGroups"], "Resource": ANY},  # lists, no ARN
        # API Gateway's access logging through CloudWatch Logs' vended delivery (API Gateway Developer Guide,
        # "Configuring logging for an HTTP API"): these actions take no resource ARN
        "ApiAccessLogDelivery": {
            "Action": [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
            ],
            "Resource": ANY,
        },
        "Alarms": {
            "Action": [
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:DeleteAlarms",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            "Resource": at("cloudwatch", f"alarm:{prefix}-*"),
        },
        "Dashboard": {
            "Action": ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
            "Resource": [f"arn:aws:cloudwatch::{account}:dashboard/{prefix}"],
        },
        "Rules": {
            "Action": [
                "events:PutRule",
                "events:DescribeRule",
                "events:DeleteRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:ListTargetsByRule",
                "events:ListTagsForResource",
                "events:TagResource",
                "events:UntagResource",
            ],
            "Resource": at("events", f"rule/{prefix}-*"),
        },
        "Topic": {
            "Action": [
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:ListTagsForResource",
                "sns:TagResource",
                "sns:UntagResource",
                "sns:Subscribe",
            ],
            "Resource": at("sns", f"{prefix}-*"),
        },
        # a subscription is named by its own ARN, which these actions do not take: AWS requires "*"
        "Subscriptions": {"Action": ["sns:GetSubscriptionAttributes", "sns:Unsubscribe"], "Resource": ANY},
        "KeyCreate": {"Action": ["kms:CreateKey", "kms:ListAliases"], "Resource": ANY},  # before the key exists
        "Key": {
            "Action": [
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:PutKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:EnableKeyRotation",
                "kms:ListResourceTags",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateKeyDescription",
                "kms:ScheduleKeyDeletion",
                "kms:CreateAlias",
                "kms:DeleteAlias",
                "kms:UpdateAlias",
            ],
            # AWS names the key by an id: any key of the account and Region, and the stack's aliases
            "Resource": at("kms", "key/*", f"alias/{prefix}-*"),
        },
        "CampaignTable": {
            "Action": [
                "dynamodb:CreateTable",
                "dynamodb:DeleteTable",
                "dynamodb:DescribeTable",
                "dynamodb:UpdateTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:ListTagsOfResource",
                "dynamodb:TagResource",
                "dynamodb:UntagResource",
            ],
            "Resource": at("dynamodb", f"table/{prefix}-*"),
        },
        "HttpApi": {
            # API Gateway authorizes by HTTP verb on resource paths; AWS names the API by an id
            "Action": ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"],
            "Resource": [f"arn:aws:apigateway:{region}::/apis", f"arn:aws:apigateway:{region}::/apis/*"],
        },
    }
    if settings.api.makes_user_pool:
        found["UserPoolCreate"] = {
            "Action": ["cognito-idp:CreateUserPool", "cognito-idp:DescribeUserPoolDomain"],
            "Resource": ANY,  # before the pool exists; domains are looked up by name
        }
        found["UserPool"] = {
            "Action": [
                "cognito-idp:DescribeUserPool",
                "cognito-idp:UpdateUserPool",
                "cognito-idp:DeleteUserPool",
                "cognito-idp:GetUserPoolMfaConfig",
                "cognito-idp:ListTagsForResource",
                "cognito-idp:TagResource",
                "cognito-idp:UntagResource",
                "cognito-idp:CreateResourceServer",
                "cognito-idp:DescribeResourceServer",
                "cognito-idp:UpdateResourceServer",
                "cognito-idp:DeleteResourceServer",
                "cognito-idp:CreateUserPoolClient",
                "cognito-idp:DescribeUserPoolClient",
                "cognito-idp:UpdateUserPoolClient",
                "cognito-idp:DeleteUserPoolClient",
                "cognito-idp:CreateUserPoolDomain",
                "cognito-idp:UpdateUserPoolDomain",
                "cognito-idp:DeleteUserPoolDomain",
            ],
            "Resource": at("cognito-idp", "userpool/*"),  # AWS names the pool by an id
        }
    if not settings.batch.security_group_ids:
        found["WorkerSecurityGroup"] = {  # the stack's egress-only group (no security groups given)
            "Action": [
                "ec2:CreateSecurityGroup",
                "ec2:DeleteSecurityGroup",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:CreateTags",
            ],
            "Resource": at("ec2", "security-group/*", "vpc/*", "security-group-rule/*"),
        }
    return found


# Which statements each resource type of the stacks needs (the AWS provider's create, read, update and delete).
STATEMENTS_FOR = {
    "aws:s3/bucket:Bucket": ("Bucket",),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ("Bucket",),
    "aws:s3/bucketNotification:BucketNotification": ("Bucket",),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ("Bucket",),
    "aws:s3/bucketPolicy:BucketPolicy": ("Bucket",),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ("Bucket",),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ("Bucket",),
    "aws:s3/bucketVersioning:BucketVersioning": ("Bucket",),
    "aws:sqs/queue:Queue": ("Queues",),
    "aws:sqs/queuePolicy:QueuePolicy": ("Queues",),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": ("Queues",),
    "aws:lambda/function:Function": ("Functions", "PassStackRoles", "Repositories"),
    "aws:lambda/permission:Permission": ("Functions",),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": ("Functions",),
    "aws:lambda/eventSourceMapping:EventSourceMapping": ("EventSourceMappingCreate", "EventSourceMappings"),
    "aws:iam/role:Role": ("Roles",),
    "aws:iam/rolePolicy:RolePolicy": ("Roles",),
    "aws:ecr/repository:Repository": ("Repositories",),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ("Repositories",),
    "docker:index/image:Image": ("Repositories", "RegistryLogin"),
    "aws:batch/computeEnvironment:ComputeEnvironment": ("Batch", "BatchDescribe", "BatchServiceLinkedRole", "Network"),
    "aws:batch/jobQueue:JobQueue": ("Batch", "BatchDescribe"),
    "aws:batch/jobDefinition:JobDefinition": ("Batch", "BatchDescribe", "PassStackRoles"),
    "aws:ec2/securityGroup:SecurityGroup": ("WorkerSecurityGroup", "Network"),
    "aws:cloudwatch/logGroup:LogGroup": ("LogGroups", "LogGroupsDescribe"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("Alarms",),
    "aws:cloudwatch/dashboard:Dashboard": ("Dashboard",),
    "aws:cloudwatch/eventRule:EventRule": ("Rules",),
    "aws:cloudwatch/eventTarget:EventTarget": ("Rules",),
    "aws:sns/topic:Topic": ("Topic",),
    "aws:sns/topicPolicy:TopicPolicy": ("Topic",),
    "aws:sns/topicSubscription:TopicSubscription": ("Topic", "Subscriptions"),
    "aws:kms/key:Key": ("KeyCreate", "Key"),
    "aws:kms/alias:Alias": ("Key",),
    "aws:dynamodb/table:Table": ("CampaignTable",),
    "aws:apigatewayv2/api:Api": ("HttpApi",),
    "aws:apigatewayv2/authorizer:Authorizer": ("HttpApi",),
    "aws:apigatewayv2/integration:Integration": ("HttpApi",),
    "aws:apigatewayv2/route:Route": ("HttpApi",),
    "aws:apigatewayv2/stage:Stage": ("HttpApi", "ApiAccessLogDelivery"),
    "aws:cognito/userPool:UserPool": ("UserPoolCreate", "UserPool"),
    "aws:cognito/userPoolClient:UserPoolClient": ("UserPool",),
    "aws:cognito/resourceServer:ResourceServer": ("UserPool",),
    "aws:cognito/userPoolDomain:UserPoolDomain": ("UserPoolCreate", "UserPool"),
}


def deploy_policy(stack: str, account: str, region: str | None = None) -> dict[str, Any]:
    values = read_stack_file(stack) | ({"aws:region": region} if region else {})
    settings = settings_from_values(stack, values, deployed=False)
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": sid, "Effect": "Allow", **body} for sid, body in statements(settings, account).items()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="dev or prod (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--account", required=True, help="the 12-digit AWS account id the stack deploys to")
    parser.add_argument("--region", help="default: the stack file's aws:region")
    args = parser.parse_args(argv)
    print(json.dumps(deploy_policy(args.stack, args.account, args.region), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
