"""What happens once when a campaign settles (complete, partial or failed), in the function that settled it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.shared import gallery
from handlers.shared.manifest import SETTLED_CAMPAIGN
from handlers.shared.metrics import CAMPAIGN_SETTLED
from handlers.shared.telemetry import Log, MetricSink


def on_campaign_settled(metrics: MetricSink, logger: Log, s3: Any, bucket: str) -> Callable[[dict[str, Any]], None]:
    """Count the settled campaign, log it and publish its gallery (`output/<campaign-id>/index.html`).

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
        gallery.publish(s3, bucket, manifest)

    return settled


def republish_gallery(s3: Any, bucket: str, manifest: dict[str, Any]) -> None:
    """For a duplicate or retried invocation: the campaign may have settled in a run that failed to publish."""
    if manifest.get("status") in SETTLED_CAMPAIGN:
        gallery.publish(s3, bucket, manifest)
