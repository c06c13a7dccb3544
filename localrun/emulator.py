"""An AWS account on 127.0.0.1: moto's server, and the dev stack's bucket, queues and notification.

Names and queue settings come from `components.settings` (the code the Pulumi program uses), so the local
run exercises the same bucket name, queue names, visibility timeout, redrive and notification filter.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from components.settings import StackSettings, read_stack_file, settings_from_values
from handlers.shared.bucket_layout import INPUT_PREFIX

ACCOUNT_ID = "123456789012"  # moto's account
ENVIRONMENT = "dev"


def local_settings(overrides: dict[str, Any] | None = None) -> StackSettings:
    """The dev stack's settings with the offline image backend (refused for a deployed stack) and the offline
    subject detector: no AWS account."""
    offline = {"imageBackend": "local", "subjectDetector": "offline"}
    values = read_stack_file(ENVIRONMENT) | offline | (overrides or {})
    return settings_from_values(ENVIRONMENT, values, deployed=False)


@dataclass
class Resources:
    bucket: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    failed_invocations_url: str
    failed_invocations_arn: str


class Emulator:
    """moto's ThreadedMotoServer on a free port of 127.0.0.1, with boto3 pointed at it."""

    def __init__(self) -> None:
        self.url = ""
        self._server: Any = None
        self._saved_env: dict[str, str | None] = {}

    def start(self) -> Emulator:
        patch_moto_notifications()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the server's access log would drown the progress
        self._server, self.url = start_moto_server()
        reset_moto(self.url)
        self.set_env(
            {
                "AWS_ENDPOINT_URL": self.url,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_SESSION_TOKEN": None,
                "AWS_PROFILE": None,
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_REGION": "us-east-1",
            }
        )
        return self

    def set_env(self, values: dict[str, str | None]) -> None:
        """Set (None: remove) environment variables, restored by stop()."""
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()


def start_moto_server() -> tuple[Any, str]:
    """moto's server on a free port of 127.0.0.1 (thread-safe, unlike the in-process mock under concurrent
    readers): the server and its URL."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def reset_moto(url: str) -> None:
    """Empty every service: moto keeps its state in module globals shared by every server in this process."""
    import requests

    requests.post(f"{url}/moto-api/reset", timeout=30).raise_for_status()


def create_resources(session: Any, settings: StackSettings) -> Resources:
    """Bucket (versioned, encrypted), queue + DLQ with redrive, failed-invocations queue, notification."""
    names, queue = settings.names, settings.queue
    region = session.region_name
    s3, sqs = session.client("s3"), session.client("sqs")
    bucket = names.bucket(ACCOUNT_ID, region)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )

    def create_queue(name: str, **attributes: Any) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    dlq_url, dlq_arn = create_queue(
        names.dlq,
        MessageRetentionPeriod=queue.dlq_retention_seconds,
        ReceiveMessageWaitTimeSeconds=queue.receive_wait_seconds,
    )
    queue_url, queue_arn = create_queue(
        names.queue,
        MessageRetentionPeriod=queue.retention_seconds,
        VisibilityTimeout=queue.visibility_timeout_seconds,
        ReceiveMessageWaitTimeSeconds=queue.receive_wait_seconds,
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}),
    )
    failed_url, failed_arn = create_queue(
        f"{names.prefix}-failed-invocations", MessageRetentionPeriod=queue.dlq_retention_seconds
    )
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "briefs",
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [{"Name": "prefix", "Value": INPUT_PREFIX}]  # as the stack: no suffix
                        }
                    },
                }
            ]
        },
    )
    # Like S3, moto sends an s3:TestEvent when the notification is configured: it stays in the queue, and the
    # parser skips it, as in AWS.
    return Resources(bucket, queue_url, queue_arn, dlq_url, failed_url, failed_arn)


_patched = False


def patch_moto_notifications() -> None:
    """moto's S3 notifications lack `versionId` and `sequencer`; S3 sends both for a versioned bucket.

    Without them two uploads of the same content would look like one upload to the parser (identity is
    bucket/key#version). The wrapper adds them to moto's own event, which moto then delivers to SQS."""
    global _patched
    if _patched:
        return
    from moto.s3 import notifications

    original = notifications._get_s3_event
    counter = iter(range(1, 1 << 62))

    def with_version(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        obj = event["Records"][0]["s3"]["object"]
        version = getattr(key, "version_id", None)
        if version and version != "null":
            obj["versionId"] = version
        obj["sequencer"] = f"{next(counter):016X}"
        return event

    notifications._get_s3_event = with_version
    _patched = True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
