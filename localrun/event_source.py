"""The SQS event source mapping of the parser, as Lambda runs it.

Long-polls the queue, gathers up to `batchSize` messages or until `batchingWindowSeconds` has passed, and
invokes the parser with a real SQS event. With ReportBatchItemFailures, only the records the function
reports in `batchItemFailures` stay on the queue; the others are deleted. A function error fails the whole
batch. A failed record becomes visible again when its visibility timeout ends and is received again;
after `maxReceiveCount` receives the queue's redrive policy moves it to the DLQ (done by the queue, here
moto, not by this poller).

One difference, for speed: Lambda leaves a failed record invisible for the queue's whole visibility timeout
(30 minutes in dev); here its visibility is set to `retry_visibility_seconds` (ChangeMessageVisibility), so
a redelivery takes about a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localrun.functions import Function


@dataclass
class QueueEventSource:
    sqs: Any
    queue_url: str
    queue_arn: str
    function: Function
    _: KW_ONLY
    batch_size: int
    batching_window_seconds: float
    receive_wait_seconds: int
    retry_visibility_seconds: int = 1
    on_record_done: Callable[[str], None] | None = None  # called with the body of each record deleted as done
    batches: int = field(default=0, init=False)
    records_failed: int = field(default=0, init=False)
    poll_errors: int = field(default=0, init=False)

    def poll_once(self) -> int:
        """Receive one batch (long polling) and invoke the parser with it. Returns the records handled."""
        messages = self._gather()
        if not messages:
            return 0
        event = {"Records": [self._record(message) for message in messages]}
        by_id = {message["MessageId"]: message for message in messages}
        try:
            response = self.function.invoke(event)
            failed = {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - a function error: Lambda retries the whole batch
            failed = set(by_id)
        self._settle(by_id, failed)
        self.batches += 1
        self.records_failed += len(failed)
        if self.on_record_done:
            for message_id, message in by_id.items():
                if message_id not in failed:
                    self.on_record_done(message["Body"])
        return len(messages)

    def _gather(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline = None
        while len(messages) < self.batch_size:
            wait = self.receive_wait_seconds if deadline is None else max(0, int(deadline - time.monotonic()))
            try:
                response = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(10, self.batch_size - len(messages)),
                    WaitTimeSeconds=wait,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                    MessageSystemAttributeNames=["All"],
                )
            except (ClientError, BotoCoreError):
                self.poll_errors += 1  # Lambda's poller keeps polling through transient errors
                break
            received = response.get("Messages", [])
            messages.extend(received)
            if not messages:
                return []
            if deadline is None:
                deadline = time.monotonic() + self.batching_window_seconds
            if time.monotonic() >= deadline or (not received and wait == 0):
                break
        return messages

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = message.get("Attributes", {})
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {
                "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
                "SenderId": attributes.get("SenderId", "AIDAIENQZJOLO23YVJ4VO"),
                "ApproximateFirstReceiveTimestamp": attributes.get(
                    "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
                ),
            },
            "messageAttributes": {
                name: _lambda_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.queue_arn.split(":")[3],
        }

    def _settle(self, by_id: dict[str, dict[str, Any]], failed: set[str]) -> None:
        done = [m for mid, m in by_id.items() if mid not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done[start : start + 10])
            ]
            self._retrying(self.sqs.delete_message_batch, QueueUrl=self.queue_url, Entries=entries)
        for message_id in failed:
            self._retrying(
                self.sqs.change_message_visibility,
                QueueUrl=self.queue_url,
                ReceiptHandle=by_id[message_id]["ReceiptHandle"],
                VisibilityTimeout=self.retry_visibility_seconds,
            )

    def _retrying(self, call: Callable[..., Any], **kwargs: Any) -> Any:
        """Deleting a done record must not be lost to a transient error, or the brief is parsed again."""
        for attempt in range(8):
            try:
                response = call(**kwargs)
            except (ClientError, BotoCoreError):
                time.sleep(0.05 * 2**attempt)
                continue
            if response.get("Failed"):
                kwargs["Entries"] = [e for e in kwargs["Entries"] if e["Id"] in {f["Id"] for f in response["Failed"]}]
                time.sleep(0.05 * 2**attempt)
                continue
            return response
        raise RuntimeError(f"{call.__name__} kept failing against the local SQS")


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """SQS API attribute (StringValue, DataType) -> the camelCase form Lambda puts in the event."""
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": value.get("StringListValues", []),
        "binaryListValues": value.get("BinaryListValues", []),
        "dataType": value.get("DataType"),
    }
