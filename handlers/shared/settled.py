"""What happens once when a campaign settles (complete, partial, failed or cancelled), in the function that
settled it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.shared import gallery
from handlers.shared.manifest import SETTLED_CAMPAIGN
from handlers.shared.metrics import CAMPAIGN_SETTLED
from handlers.shared.telemetry import Log, MetricSink


@dataclass
class IndexStatus:
    """The API's campaign index (DynamoDB table `CAMPAIGN_TABLE`, keyed by owner and campaign id), whose
    `status` the settling function keeps current for campaigns submitted through the API (they have an
    `owner`). Best effort: the API re-reads the manifest of an item not yet settled, so a failed update is
    logged, never raised (it must not make Lambda run a settled product again)."""

    table: str | None
    client: Any = field(default=None, repr=False)  # a DynamoDB client, made on first use

    def record_status(self, manifest: dict[str, Any], logger: Log) -> None:
        owner = manifest.get("owner")
        if not owner or not self.table:
            return
        if self.client is None:
            import boto3

            self.client = boto3.client("dynamodb")
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"owner": {"S": str(owner)}, "campaign_id": {"S": manifest["campaign_id"]}},
                UpdateExpression="SET #status = :status",
                ConditionExpression="attribute_exists(#owner)",  # never create an item the API did not
                ExpressionAttributeNames={"#status": "status", "#owner": "owner"},
                ExpressionAttributeValues={":status": {"S": manifest["status"]}},
            )
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "campaign index not updated; the API repairs it from the manifest when read",
                extra={"table": self.table, "status": manifest["status"], "error": str(error)},
            )


def on_campaign_settled(
    metrics: MetricSink, logger: Log, s3: Any, bucket: str, index: IndexStatus | None = None
) -> Callable[[dict[str, Any]], None]:
    """Count the settled campaign, log it, publish its gallery (`output/<campaign-id>/index.html`) and record
    its status in the campaign index.

    If the gallery cannot be written the error propagates: Lambda retries the invocation, and the retry,
    finding its product already settled, publishes the page again (`republish_gallery`)."""

    def settled(manifest: dict[str, Any]) -> None:
        metrics.add_metric(name=CAMPAIGN_SETTLED[manifest["status"]], unit="Count", value=1)
        logger.info(
            "campaign settled",
            extra={
                "campaign_id": manifest["campaign_id"],
                "status": manifest["status"],
                "total_cost_usd": manifest["total_cost_usd"],
            },
        )
        if index is not None:
            index.record_status(manifest, logger)
        gallery.publish(s3, bucket, manifest)

    return settled


def republish_gallery(s3: Any, bucket: str, manifest: dict[str, Any]) -> None:
    """For a duplicate or retried invocation: the campaign may have settled in a run that failed to publish."""
    if manifest.get("status") in SETTLED_CAMPAIGN:
        gallery.publish(s3, bucket, manifest)
