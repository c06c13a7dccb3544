"""What happens once when a campaign settles (complete, partial or failed), in the function that settled it."""

from __future__ import annotations

from typing import Any, Callable

from shared.metrics import CAMPAIGN_SETTLED


def on_campaign_settled(metrics: Any, logger: Any) -> Callable[[dict[str, Any]], None]:
    def settled(manifest: dict[str, Any]) -> None:
        metrics.add_metric(name=CAMPAIGN_SETTLED[manifest["status"]], unit="Count", value=1)
        logger.info("campaign settled", extra={"campaign_id": manifest["campaign_id"], "status": manifest["status"],
                                               "total_cost_usd": manifest["total_cost_usd"]})

    return settled
