"""AWS Batch on Fargate: a job that re-renders a campaign's variants in bulk, from the batch-worker image.

Subnets and security groups come from settings; left empty, the account's default VPC (looked up at
preview) and an egress-only security group made here are used. The job definition references its image
by digest and is tagged with the image's tag and digest; the image-push updater registers new revisions when a new
digest is pushed. A pinned stack (prod) keeps every released revision ACTIVE: those are the versions a re-render
may name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.function_environment import StackValues, function_environment
from components.iam import assume_role, list_prefixes, log_statement, objects, policy_document
from components.settings import StackSettings
from handlers.shared.bucket_layout import OUTPUT_PREFIX
from handlers.shared.image_versions import IMAGE_DIGEST_TAG, IMAGE_TAG_TAG, image_digest
from handlers.shared.worker_exit_codes import NOT_RETRYABLE

ECS_TASKS_ASSUME_ROLE = assume_role("ecs-tasks.amazonaws.com")


def failed_jobs_pattern(job_queue_arn: str) -> str:
    """EventBridge pattern: AWS Batch's "Batch Job State Change" events of one queue's jobs that ended FAILED (a
    job's last attempt failed; AWS Batch User Guide, Job state change events)."""
    return json.dumps(
        {
            "source": ["aws.batch"],
            "detail-type": ["Batch Job State Change"],
            "detail": {"status": ["FAILED"], "jobQueue": [job_queue_arn]},
        }
    )


def fargate_vcpu(vcpu: float) -> str:
    return str(int(vcpu)) if float(vcpu).is_integer() else str(vcpu)


@dataclass
class BatchJobsArgs:
    settings: StackSettings
    image_uri: pulumi.Input[str]  # the batch-worker image, by digest
    repository_arn: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    variants_function_arn: pulumi.Input[str]


class BatchJobs(pulumi.ComponentResource):
    """`job_queue`, `job_definition`, `job_definition_name`, the job's `execution_role` and `job_role`, and
    `failed_jobs`, the EventBridge rule of the queue's failed jobs."""

    def __init__(self, name: str, args: BatchJobsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("creative-automation:batch:BatchJobs", name, None, opts)
        settings = args.settings
        batch = settings.batch
        names = settings.names
        child = pulumi.ResourceOptions(parent=self)
        self.job_definition_name = f"{names.prefix}-rerender"

        # --- network --------------------------------------------------------------------------------------
        if batch.subnet_ids:
            subnet_ids: pulumi.Input[list[str]] = list(batch.subnet_ids)
            vpc_id = aws.ec2.get_subnet_output(id=batch.subnet_ids[0]).vpc_id
        else:
            vpc_id = aws.ec2.get_vpc_output(default=True).id
            subnet_ids = aws.ec2.get_subnets_output(
                filters=vpc_id.apply(
                    lambda vpc: [
                        aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc]),
                        aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
                    ]
                )
            ).ids
        if batch.security_group_ids:
            security_group_ids: pulumi.Input[list[pulumi.Input[str]]] = list(batch.security_group_ids)
        else:
            group = aws.ec2.SecurityGroup(
                "worker-egress",
                name=f"{names.prefix}-batch-worker",
                vpc_id=vpc_id,
                description="Batch worker: no inbound; outbound HTTPS to AWS APIs (ECR, S3, Lambda, Logs)",
                egress=[
                    {
                        "protocol": "tcp",
                        "from_port": 443,
                        "to_port": 443,
                        "cidr_blocks": ["0.0.0.0/0"],
                        "description": "HTTPS to AWS endpoints",
                    }
                ],
                opts=child,
            )
            security_group_ids = [group.id]

        # --- roles ----------------------------------------------------------------------------------------
        self.log_group = aws.cloudwatch.LogGroup(
            "worker-logs",
            name=f"/aws/batch/{names.prefix}-batch-worker",
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        self.execution_role = aws.iam.Role(
            "worker-execution-role",
            name=f"{names.prefix}-batch-execution",
            assume_role_policy=ECS_TASKS_ASSUME_ROLE,
            opts=child,
        )
        aws.iam.RolePolicy(
            "worker-execution-policy",
            role=self.execution_role.id,
            policy=policy_document(
                [
                    # GetAuthorizationToken has no resource-level permission: AWS requires "*".
                    {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
                    {
                        "Effect": "Allow",
                        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                        "Resource": [args.repository_arn],
                    },
                    log_statement(self.log_group.arn),
                ]
            ),
            opts=child,
        )
        self.job_role = aws.iam.Role(
            "worker-job-role", name=f"{names.prefix}-batch-job", assume_role_policy=ECS_TASKS_ASSUME_ROLE, opts=child
        )
        aws.iam.RolePolicy(
            "worker-job-policy",
            role=self.job_role.id,
            policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": [objects(args.bucket_arn, OUTPUT_PREFIX)],
                    },
                    # The worker lists the manifest's key before reading it (handlers/batch_worker/rerender.py): a
                    # mistyped campaign is told from a read it may not make.
                    list_prefixes(args.bucket_arn, OUTPUT_PREFIX),
                    {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [args.variants_function_arn]},
                ]
            ),
            opts=child,
        )

        # --- compute, queue, job definition ------------------------------------------------------------------
        compute = aws.batch.ComputeEnvironment(
            "fargate",
            name=f"{names.prefix}-fargate",
            type="MANAGED",
            state="ENABLED",
            # No service_role: Batch uses its service-linked role (AWSServiceRoleForBatch).
            compute_resources={
                "type": "FARGATE",
                "max_vcpus": batch.max_vcpus,
                "subnets": subnet_ids,
                "security_group_ids": security_group_ids,
            },
            opts=child,
        )
        self.job_queue = aws.batch.JobQueue(
            "queue",
            name=f"{names.prefix}-jobs",
            state="ENABLED",
            priority=1,
            compute_environment_orders=[{"order": 1, "compute_environment": compute.arn}],
            opts=child,
        )
        # Every job of this queue that ends FAILED (after its last attempt): the alarm topic and the settler are
        # its targets (components/monitoring.py, components/settler.py).
        self.failed_jobs = aws.cloudwatch.EventRule(
            "failed-jobs",
            name=f"{names.prefix}-batch-job-failed",
            description="A re-render job of this stack's queue ended FAILED",
            event_pattern=self.job_queue.arn.apply(failed_jobs_pattern),
            opts=child,
        )
        container = pulumi.Output.json_dumps(
            {
                "image": args.image_uri,
                "command": ["Ref::campaign_id"],
                "resourceRequirements": [
                    {"type": "VCPU", "value": fargate_vcpu(batch.vcpu)},
                    {"type": "MEMORY", "value": str(batch.memory_mib)},
                ],
                "executionRoleArn": self.execution_role.arn,
                "jobRoleArn": self.job_role.arn,
                "environment": [
                    {"name": name, "value": value}
                    for name, value in function_environment(
                        settings, "batch-worker", StackValues(bucket_name=args.bucket_name)
                    ).items()
                ],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": self.log_group.name,
                        "awslogs-region": settings.region,
                        "awslogs-stream-prefix": "rerender",
                    },
                },
                # Default-VPC subnets are public: without a public IP the task cannot reach ECR to pull its image.
                "networkConfiguration": {"assignPublicIp": "DISABLED" if batch.subnet_ids else "ENABLED"},
                "fargatePlatformConfiguration": {"platformVersion": "LATEST"},
                "runtimePlatform": {
                    "operatingSystemFamily": "LINUX",
                    "cpuArchitecture": "ARM64" if settings.images.platform == "linux/arm64" else "X86_64",
                },
            }
        )
        self.job_definition = aws.batch.JobDefinition(
            "rerender",
            name=self.job_definition_name,
            type="container",
            platform_capabilities=["FARGATE"],
            container_properties=container,
            parameters={"campaign_id": "none"},
            # Retried unless the worker exits with a code no retry can fix (a missing campaign, no campaign id).
            retry_strategy={
                "attempts": batch.retry_attempts,
                "evaluate_on_exits": [{"on_exit_code": str(code), "action": "EXIT"} for code in NOT_RETRYABLE],
            },
            timeout={"attempt_duration_seconds": batch.timeout_seconds},
            propagate_tags=True,
            # The version this revision runs (handlers/shared/image_versions.py): the campaign API offers re-renders
            # by these tags.
            tags={
                IMAGE_TAG_TAG: settings.images.tag,
                IMAGE_DIGEST_TAG: pulumi.Output.from_input(args.image_uri).apply(image_digest),
            },
            # A pinned stack keeps every revision a `pulumi up` released ACTIVE (the record of released versions a
            # rollback may name); a stack that tracks latest retires Pulumi's previous revision as usual.
            deregister_on_new_revision=settings.images.tracks_latest,
            opts=child,
        )
        self.register_outputs({"job_queue": self.job_queue.name, "job_definition": self.job_definition.arn})
