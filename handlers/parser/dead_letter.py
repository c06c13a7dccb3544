"""Records that fail permanently go to the DLQ at once, with the reason, instead of being retried.

Retrying an AccessDenied or a missing function `maxReceiveCount` times changes nothing and only delays the
DLQ alarm. The message keeps its body, so once the cause is fixed a DLQ redrive replays it (duplicates of
an upload that did get through are recognised by the parser, so a replay never starts products twice).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from handlers.shared.errors import error_code, is_transient


def is_permanent(error: BaseException) -> bool:
    """An AWS error that a retry cannot fix. Anything else (bugs included) is retried, then the DLQ."""
    return isinstance(error, ClientError) and not is_transient(error)


def send(sqs: Any, dlq_url: str, body: str, message_id: str, error: BaseException) -> None:
    text = str(error)[:1000]
    sqs.send_message(
        QueueUrl=dlq_url,
        MessageBody=body,
        MessageAttributes={
            "error_code": {"DataType": "String", "StringValue": error_code(error)},
            "error_message": {"DataType": "String", "StringValue": text or type(error).__name__},
            "source_message_id": {"DataType": "String", "StringValue": message_id},
        },
    )
