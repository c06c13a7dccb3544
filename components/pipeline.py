"""The creative pipeline: bucket -> queue -> parser -> generator / variants, with least-privilege IAM.

Written as AWS accepts it: the queue policy exists before the bucket notification (S3 checks it when the
notification is created), the queue's visibility timeout covers the parser's timeout (checked in
settings), log groups exist before their functions, and every role grants only what its function does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.function_environment import StackValues, function_environment
from components.iam import (
    consume_queue,
    invoke_model,
    list_prefixes,
    objects,
    policy_document,
    service_may_send,
    table_items,
)
from components.image_updater import updater_owns_code
from components.lambda_function import lambda_function
from components.settings import StackSettings
from handlers.shared.bucket_layout import ASSETS_PREFIX, INPUT_PREFIX, OUTPUT_PREFIX, SHARED_PAGES_PREFIX

# The campaign API's gallery pages for one caller: their presigned links expire in minutes, the page is then useless.
SHARED_PAGES_DAYS = 1


@dataclass
class PipelineArgs:
    settings: StackSettings
    image_uris: Mapping[str, pulumi.Input[str]]
    campaign_table_arn: pulumi.Input[str]  # the functions settling a campaign keep its index item current


# A photo's subject and faces (DetectLabels, DetectFaces on image bytes): Rekognition defines no resource type for
# these actions, so IAM takes only "*" (Service Authorization Reference, Amazon Rekognition).
DETECT_SUBJECTS = [
    {"Effect": "Allow", "Action": ["rekognition:DetectLabels", "rekognition:DetectFaces"], "Resource": "*"}
]


class Pipeline(pulumi.ComponentResource):
    """Attributes for other components: `bucket`, `queue`, `dlq`, `failed_invocations` (on-failure destination
    of the asynchronous invocations, consumed by the settler) and its `failed_invocations_dlq`, `functions`,
    `log_groups` and `roles` (by service)."""

    def __init__(self, name: str, args: PipelineArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("creative-automation:pipeline:Pipeline", name, None, opts)
        settings = args.settings
        names = settings.names
        child = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output()
        account_id = identity.account_id

        # --- Bucket -------------------------------------------------------------------------------------
        self.bucket = aws.s3.Bucket(
            "bucket", bucket=account_id.apply(lambda account: names.bucket(account, settings.region)), opts=child
        )
        bucket_arn = self.bucket.arn
        aws.s3.BucketOwnershipControls(
            "bucket-ownership", bucket=self.bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            "bucket-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            "bucket-encryption",
            bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            "bucket-versioning", bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            "bucket-lifecycle",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "expire-output",
                    "status": "Enabled",
                    "filter": {"prefix": OUTPUT_PREFIX},
                    "expiration": {"days": settings.bucket.output_expiration_days},
                },
                {
                    "id": "expire-shared-pages",
                    "status": "Enabled",
                    "filter": {"prefix": SHARED_PAGES_PREFIX},
                    "expiration": {"days": SHARED_PAGES_DAYS},  # the shorter of two overlapping expirations wins
                    "noncurrent_version_expiration": {"noncurrent_days": SHARED_PAGES_DAYS},
                },
                {
                    "id": "tidy-versions",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": settings.bucket.noncurrent_version_expiration_days
                    },
                    "expiration": {"expired_object_delete_marker": True},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                },
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            "bucket-policy",
            bucket=self.bucket.id,
            policy=policy_document(
                [
                    {
                        # A deny may (and should) cover every action: no request without TLS, whatever it is.
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ]
            ),
            # S3 refuses a policy change while the public access block is being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )

        # --- Queues -------------------------------------------------------------------------------------
        queue_settings = settings.queue
        self.dlq = aws.sqs.Queue(
            "briefs-dlq",
            name=names.dlq,
            message_retention_seconds=queue_settings.dlq_retention_seconds,
            receive_wait_time_seconds=queue_settings.receive_wait_seconds,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        self.queue = aws.sqs.Queue(
            "briefs-queue",
            name=names.queue,
            message_retention_seconds=queue_settings.retention_seconds,
            visibility_timeout_seconds=queue_settings.visibility_timeout_seconds,
            receive_wait_time_seconds=queue_settings.receive_wait_seconds,
            sqs_managed_sse_enabled=True,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": self.dlq.arn, "maxReceiveCount": queue_settings.max_receive_count}
            ),
            opts=child,
        )
        aws.sqs.RedriveAllowPolicy(
            "briefs-dlq-redrive-allow",
            queue_url=self.dlq.url,
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [self.queue.arn]}
            ),
            opts=child,
        )
        queue_policy = aws.sqs.QueuePolicy(
            "briefs-queue-policy",
            queue_url=self.queue.url,
            policy=policy_document(
                [service_may_send("ThisBucketOnly", "s3.amazonaws.com", self.queue.arn, bucket_arn, account_id)]
            ),
            opts=child,
        )
        aws.s3.BucketNotification(
            "briefs-notification",
            bucket=self.bucket.id,
            queues=[
                {
                    "queue_arn": self.queue.arn,
                    "events": ["s3:ObjectCreated:*"],
                    "filter_prefix": INPUT_PREFIX,  # no suffix: S3's is case-sensitive; the parser answers all
                }
            ],
            # S3 sends a test event and checks the queue policy when the notification is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[queue_policy]),
        )
        # The settler consumes the failure records; one it cannot settle after maxReceiveCount tries is kept in
        # the DLQ (alarmed), which keeps records longer than the queue so none expires on the way.
        self.failed_invocations_dlq = aws.sqs.Queue(
            "failed-invocations-dlq",
            name=f"{names.prefix}-failed-invocations-dlq",
            message_retention_seconds=queue_settings.dlq_retention_seconds,
            receive_wait_time_seconds=queue_settings.receive_wait_seconds,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        self.failed_invocations = aws.sqs.Queue(
            "failed-invocations",
            name=f"{names.prefix}-failed-invocations",
            message_retention_seconds=queue_settings.retention_seconds,
            # AWS advises 6 x the consuming function's timeout.
            visibility_timeout_seconds=6 * settings.functions["settler"].timeout_seconds,
            receive_wait_time_seconds=queue_settings.receive_wait_seconds,
            sqs_managed_sse_enabled=True,
            redrive_policy=pulumi.Output.json_dumps(
                {
                    "deadLetterTargetArn": self.failed_invocations_dlq.arn,
                    "maxReceiveCount": queue_settings.max_receive_count,
                }
            ),
            opts=child,
        )
        aws.sqs.RedriveAllowPolicy(
            "failed-invocations-dlq-redrive-allow",
            queue_url=self.failed_invocations_dlq.url,
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [self.failed_invocations.arn]}
            ),
            opts=child,
        )

        # --- Functions (variants first: the others invoke it) ---------------------------------------------
        self.functions: dict[str, aws.lambda_.Function] = {}
        self.log_groups: dict[str, aws.cloudwatch.LogGroup] = {}
        self.roles: dict[str, aws.iam.Role] = {}
        self._role_policies: dict[str, aws.iam.RolePolicy] = {}
        invoke = {
            "generator": invoke_model(settings.image_model, account_id),
            # A brief's "framing": "expand" has the outpaint model paint the canvas extension.
            "variants": (invoke_model(settings.outpaint_model, account_id) if settings.outpaint_model else [])
            + (
                # A photo's subject and faces (DetectLabels, DetectFaces on image bytes): Rekognition defines no
                # resource type for them, so IAM takes only "*" (Service Authorization Reference, Rekognition).
                [
                    {
                        "Effect": "Allow",
                        "Action": ["rekognition:DetectLabels", "rekognition:DetectFaces"],
                        "Resource": "*",
                    }
                ]
                if settings.subject_detector == "rekognition"
                else []
            ),
        }
        send_failed = {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": self.failed_invocations.arn}
        self._settle_index = table_items(args.campaign_table_arn, ["dynamodb:UpdateItem"])
        stack_values = StackValues(bucket_name=self.bucket.bucket, dlq_url=self.dlq.url)
        for service in ("variants", "generator", "parser"):
            statements = self._statements(service, bucket_arn, invoke.get(service, []), send_failed)
            made = lambda_function(
                self,
                settings,
                service,
                image_uri=args.image_uris[service],
                statements=statements,
                environment=function_environment(settings, service, stack_values),
                image_owned_by_updater=updater_owns_code(settings, service),
            )
            self.functions[service] = made.function
            self.log_groups[service] = made.log_group
            self.roles[service] = made.role
            self._role_policies[service] = made.role_policy

        # --- Wiring: asynchronous invocations and the queue ---------------------------------------------
        for service in ("generator", "variants"):
            aws.lambda_.FunctionEventInvokeConfig(
                f"{service}-async",
                function_name=self.functions[service].name,
                maximum_retry_attempts=settings.async_invoke.max_retry_attempts,
                maximum_event_age_in_seconds=settings.async_invoke.max_event_age_seconds,
                destination_config={"on_failure": {"destination": self.failed_invocations.arn}},
                opts=child,
            )
        parser = settings.functions["parser"]
        aws.lambda_.EventSourceMapping(
            "briefs-to-parser",
            event_source_arn=self.queue.arn,
            function_name=self.functions["parser"].arn,
            batch_size=queue_settings.batch_size,
            maximum_batching_window_in_seconds=queue_settings.batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            # Keep the poller within the parser's reserved concurrency: throttled batches would burn receives.
            scaling_config={"maximum_concurrency": parser.reserved_concurrency}
            if parser.reserved_concurrency
            else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._role_policies["parser"]]),
        )

        self.register_outputs(
            {
                "bucket_name": self.bucket.bucket,
                "queue_url": self.queue.url,
                "dlq_url": self.dlq.url,
                "function_names": {s: f.name for s, f in self.functions.items()},
            }
        )

    def _statements(
        self,
        service: str,
        bucket_arn: pulumi.Output[str],
        invoke: list[dict[str, Any]],
        send_failed: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """What `service`'s role may do, beyond writing its own logs (`invoke`: the Bedrock model it calls)."""
        if service == "variants":
            return [
                *invoke,
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject"],
                    "Resource": [objects(bucket_arn, OUTPUT_PREFIX), objects(bucket_arn, ASSETS_PREFIX)],
                },
                {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [objects(bucket_arn, OUTPUT_PREFIX)]},
                list_prefixes(bucket_arn, OUTPUT_PREFIX),
                send_failed,
                self._settle_index,
            ]
        if service == "generator":
            return [
                *invoke,
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": [objects(bucket_arn, OUTPUT_PREFIX)],
                },
                list_prefixes(bucket_arn, OUTPUT_PREFIX),
                {
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": [self.functions["variants"].arn],
                },
                send_failed,
                self._settle_index,
            ]
        if service == "parser":
            return [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject"],
                    "Resource": [
                        objects(bucket_arn, INPUT_PREFIX),
                        objects(bucket_arn, ASSETS_PREFIX),
                        objects(bucket_arn, OUTPUT_PREFIX),
                    ],
                },
                # The parser reads exactly the version the notification announced (GetObject with
                # VersionId), which S3 authorizes as s3:GetObjectVersion, not s3:GetObject.
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObjectVersion"],
                    "Resource": [objects(bucket_arn, INPUT_PREFIX)],
                },
                {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [objects(bucket_arn, OUTPUT_PREFIX)]},
                list_prefixes(bucket_arn, ASSETS_PREFIX, OUTPUT_PREFIX),
                {
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": [self.functions["generator"].arn, self.functions["variants"].arn],
                },
                consume_queue(self.queue.arn),
                # A record that fails permanently (AccessDenied, ...) goes to the DLQ at once, not after
                # maxReceiveCount pointless retries.
                {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [self.dlq.arn]},
                self._settle_index,  # a campaign whose every product names a missing asset fails at once
            ]
        raise ValueError(f"the pipeline has no function {service!r}")
