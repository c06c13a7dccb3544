"""What the settler does (AWS calls): settles the products Lambda dropped, and sweeps campaigns left open.

Both only ever mark a product `failed` that has not settled yet, in one conditional manifest write, so a record
delivered twice, or a function that settles its product at the same moment, changes nothing twice. The write
that settles the campaign publishes its gallery and records its status in the index (`ManifestStore.on_settled`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers.settler.records import (
    NO_PROGRESS_CODE,
    RERENDER_FAILED_CODE,
    FailedRerender,
    LostProduct,
    is_stuck,
    no_progress_reason,
)
from handlers.shared import metrics as metric_names
from handlers.shared.bucket_layout import OPEN_PREFIX, campaign_of_open_marker, open_marker_key
from handlers.shared.manifest import (
    SETTLED,
    SETTLED_CAMPAIGN,
    ManifestContention,
    ManifestNotFound,
    ManifestStore,
    product,
)
from handlers.shared.telemetry import Log, MetricSink


@dataclass
class SweepOutcome:
    open: int = 0  # markers found
    closed: list[str] = field(default_factory=list)  # campaigns settled (now or before) whose marker went
    settled_now: list[str] = field(default_factory=list)  # campaigns this sweep settled by failing stuck products


@dataclass
class SettlerService:
    store: ManifestStore
    logger: Log
    metrics: MetricSink
    stuck_after_seconds: int

    def settle_lost(self, lost: LostProduct) -> bool:
        """Mark the dropped product failed unless it settled meanwhile. True when this changed it."""
        payload = lost.payload
        if payload.bucket != self.store.bucket:
            self.logger.warning("on-failure record for another bucket, skipped", extra={"bucket": payload.bucket})
            return False
        changed = self._fail_unsettled(payload.campaign_id, {payload.product_index}, lost.code, lost.reason)
        self.logger.info(
            "dropped invocation settled" if changed else "dropped invocation's product had already settled",
            extra={"campaign_id": payload.campaign_id, "product_index": payload.product_index, "code": lost.code},
        )
        return bool(changed)

    def settle_failed_rerender(self, failed: FailedRerender) -> bool:
        """Record the re-render job's failure, in words, on the campaign's re-render of that job (one is added when
        the API did not record it). True when this changed the manifest."""

        def mark(manifest: dict[str, Any]) -> None:  # may run again after a conflicting write: set, never append twice
            rerenders = manifest.setdefault("rerenders", [])
            entry = next((r for r in rerenders if r.get("job_id") == failed.job_id), None)
            if entry is None:
                entry = {"job_id": failed.job_id, "job_definition": failed.job_definition}
                rerenders.append(entry)
            entry.update(status="failed", error={"code": RERENDER_FAILED_CODE, "message": failed.reason})

        try:
            before = self.store.get(failed.campaign_id)
            if before is None:
                self.logger.warning("failed re-render of a campaign without a manifest", extra=vars(failed))
                return False
            after = self.store.update(failed.campaign_id, mark)
        except ClientError as error:
            if error.response["Error"]["Code"] != "AccessDenied":
                raise  # transient: Lambda retries the event
            self.logger.warning(
                "campaign's manifest cannot be written; re-render failure not recorded", extra=vars(failed)
            )
            return False
        self.logger.warning("re-render job failed; recorded on the campaign", extra=vars(failed))
        return after != before

    def sweep(self, now: datetime | None = None) -> SweepOutcome:
        """Every open campaign (markers under output/_open/): a settled one loses its marker, one without
        progress for longer than its functions can run has its unsettled products failed, which settles it.
        A campaign that cannot be read now is left for the next sweep; the others go on."""
        now = now or datetime.now(UTC)
        outcome = SweepOutcome()
        for campaign_id in self._open_campaigns():
            outcome.open += 1
            try:
                self._sweep_one(campaign_id, now, outcome)
            except (ClientError, BotoCoreError, ManifestContention) as error:
                self.logger.warning(
                    "open campaign not swept; the next sweep tries again",
                    extra={"campaign_id": campaign_id, "error": str(error)},
                )
        return outcome

    def _sweep_one(self, campaign_id: str, now: datetime, outcome: SweepOutcome) -> None:
        manifest = self.store.get(campaign_id)
        if manifest is not None and manifest["status"] not in SETTLED_CAMPAIGN:
            idle = is_stuck(manifest, now, self.stuck_after_seconds)
            if idle is None:
                return
            unsettled = {p["index"] for p in manifest["products"] if p["status"] not in SETTLED}
            self._fail_unsettled(campaign_id, unsettled, NO_PROGRESS_CODE, no_progress_reason(idle))
            outcome.settled_now.append(campaign_id)
            self.logger.warning(
                "campaign without progress settled", extra={"campaign_id": campaign_id, "products": sorted(unsettled)}
            )
        elif manifest is None:
            self.logger.warning("open marker without a manifest removed", extra={"campaign_id": campaign_id})
        marker = open_marker_key(campaign_id)
        self.store.s3.delete_object(Bucket=self.store.bucket, Key=marker)
        # A re-render may have reopened the campaign (and written its marker) since the read above: put it back.
        reopened = self.store.get(campaign_id) if manifest is not None else None
        if reopened is not None and reopened["status"] not in SETTLED_CAMPAIGN:
            self.store.s3.put_object(Bucket=self.store.bucket, Key=marker, Body=b"")
            return
        outcome.closed.append(campaign_id)

    def _fail_unsettled(self, campaign_id: str, indexes: set[int], code: str, reason: str) -> list[int]:
        """Fail the products of `indexes` that have not settled; the indexes this write failed."""
        failed: list[int] = []

        def fail(manifest: dict[str, Any]) -> None:
            failed.clear()  # the mutation may run again after a conflicting write
            for index in sorted(indexes):
                entry = product(manifest, index)
                if entry["status"] not in SETTLED:
                    entry.update(status="failed", error={"code": code, "message": reason})
                    failed.append(index)

        try:
            self.store.update(campaign_id, fail)
        except ManifestNotFound:
            self.logger.warning("campaign has no manifest; nothing to settle", extra={"campaign_id": campaign_id})
            return []
        except ClientError as error:
            if error.response["Error"]["Code"] != "AccessDenied":
                raise  # transient: the record is retried
            # S3 answers 403 for a missing key when listing the campaign's folder is not allowed: gone, or not
            # ours to write. Either way a retry cannot help; reported once.
            self.logger.warning(
                "campaign's manifest cannot be read or written; nothing settled",
                extra={"campaign_id": campaign_id, "error": str(error)},
            )
            return []
        if failed:
            self.metrics.add_metric(name=metric_names.PRODUCTS_LOST, unit="Count", value=len(failed))
        return failed

    def _open_campaigns(self) -> list[str]:
        pages = self.store.s3.get_paginator("list_objects_v2").paginate(Bucket=self.store.bucket, Prefix=OPEN_PREFIX)
        keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        return [cid for cid in map(campaign_of_open_marker, keys) if cid is not None]
