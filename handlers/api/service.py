"""What each route does, once the request has passed its checks: S3 (briefs, manifests, presigned URLs), the
campaign index and the re-render jobs. Routing and the request checks live in app.py and checks.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from handlers.api import checks
from handlers.api.auth import Caller
from handlers.api.checks import ApiError
from handlers.api.estimate import Estimate, Prices, estimate
from handlers.api.index import CampaignIndex
from handlers.api.rerender_jobs import RerenderJobs
from handlers.api.versions import resolve
from handlers.parser.brief import check_brief
from handlers.parser.campaign import campaign_id as make_campaign_id
from handlers.parser.campaign import pick_asset
from handlers.parser.events import Upload
from handlers.shared import gallery
from handlers.shared.bucket_layout import API_BRIEFS_PREFIX, rejection_report_key, shared_gallery_key, slug
from handlers.shared.lifecycle import request_cancel
from handlers.shared.manifest import SETTLED_CAMPAIGN, ManifestStore, new_manifest, now_iso

URL_SECONDS = 15 * 60  # presigned URLs: long enough to look, short enough not to be shared around
UNSETTLED = ("queued", "processing")


def brief_key(owner: str) -> str:
    return f"{API_BRIEFS_PREFIX}{slug(owner, 'owner')}/{uuid.uuid4()}.json"


@dataclass
class CampaignApi:
    s3: Any
    index: CampaignIndex
    store: ManifestStore
    jobs: RerenderJobs
    max_brief_bytes: int
    prices: Prices  # what the estimate charges per model call
    log: Any
    can_expand: bool = True  # an outpaint model (or the offline fill) paints "framing": "expand"

    @property
    def bucket(self) -> str:
        return self.store.bucket

    # -- POST /campaigns ----------------------------------------------------------------------------

    def submit(self, caller: Caller, body: bytes, dry_run: bool, status_url: Callable[[str], str]) -> dict[str, Any]:
        check = check_brief(body, self.max_brief_bytes, self.can_expand)  # the parser's own validation and reports
        if check.brief is None or not check.ok:
            first = check.violations[0]
            where = "" if first.path == "$" else f"{first.path}: "
            raise ApiError(
                400,
                "BriefRejected",
                f"the brief has {len(check.violations)} problem(s); first: {where}{first.message}",
                {
                    "violations": [v.to_json() for v in check.violations],
                    "what_to_do": "fix every violation listed and submit the brief again",
                },
            )
        brief = check.brief
        cost = estimate(brief, self.prices, self._find_asset)
        if dry_run:
            return {"dry_run": True, "valid": True, **self._models(), **cost.to_json()}
        key = brief_key(caller.owner)
        put = self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType="application/json", Metadata={"owner": caller.owner}
        )
        upload = Upload(self.bucket, key, put.get("VersionId"), str(put.get("ETag", "")).strip('"') or None, None, None)
        cid = make_campaign_id(brief["campaign_name"], upload.identity)  # as the parser will compute it
        self.index.put(
            {
                "owner": caller.owner,
                "campaign_id": cid,
                "created_at": now_iso(),
                "status": "queued",
                "campaign_name": brief["campaign_name"],
                "brief_key": key,
                "submitted_by": caller.subject,
                "estimated_cost_usd": cost.total_usd,
            }
        )
        self.log.info("campaign submitted", extra={"campaign_id": cid, "owner": caller.owner, "brief_key": key})
        return {
            "campaign_id": cid,
            "status": "queued",
            "status_url": status_url(cid),
            **self._models(),
            **_cost_fields(cost),
        }

    def _models(self) -> dict[str, str]:
        """The models the estimate prices."""
        outpaint = self.prices.outpaint_model
        return {"image_model": self.prices.image_model, **({"outpaint_model": outpaint} if outpaint else {})}

    def _find_asset(self, key: str) -> str | None:
        if not key:
            return None
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key.rstrip("/"), MaxKeys=1000)
        return pick_asset(key, [item["Key"] for item in listing.get("Contents", [])])

    # -- GET /campaigns, GET /campaigns/{id} ---------------------------------------------------------

    def campaign(self, caller: Caller, cid: str) -> dict[str, Any]:
        item = self._item(caller, cid)
        manifest = self.store.get(cid)
        view = _summary(item) | {"urls_expire_in_seconds": URL_SECONDS, "products": []}
        if manifest is None:
            report = self._rejection(item)
            if report is not None:
                view |= {"status": "rejected", "violations": report.get("violations", [])}
        else:
            view |= {
                "status": manifest["status"],
                "updated_at": manifest.get("updated_at"),
                "total_cost_usd": manifest.get("total_cost_usd", 0.0),
                "products": [self._product(p) for p in manifest["products"]],
                "gallery_url": self._shared_gallery(manifest),
                **{k: manifest[k] for k in ("cancel_requested_at", "rerenders") if manifest.get(k)},
            }
        self._repair(item, view["status"])
        return view

    def campaigns(self, caller: Caller, limit: int, cursor: str | None, status: str | None) -> dict[str, Any]:
        start = checks.decode_cursor(cursor, caller.owner) if cursor else None
        page = self.index.page(caller.owner, limit, start, status)
        listed = []
        for item in page.items:
            if item.get("status") in UNSETTLED:  # the settle hook may have missed it: read the manifest
                manifest = self.store.get(item["campaign_id"])
                current = manifest["status"] if manifest else "rejected" if self._rejection(item) else None
                if current is not None:
                    self._repair(item, current)
                    item = item | {"status": current}
                if status and item.get("status") != status:
                    continue  # the index was behind: it no longer has the status asked for
            listed.append(_summary(item))
        next_cursor = checks.encode_cursor(page.last_key) if page.last_key else None
        return {"campaigns": listed, "next_cursor": next_cursor}

    # -- POST /campaigns/{id}/cancel -----------------------------------------------------------------

    def cancel(self, caller: Caller, cid: str) -> dict[str, Any]:
        item = self._item(caller, cid)
        manifest = self.store.get(cid) or self._cancelled_before_start(item)
        if not manifest.get("cancel_requested_at") and manifest["status"] in SETTLED_CAMPAIGN:
            raise ApiError(
                409,
                "AlreadySettled",
                f"campaign {cid} already finished ({manifest['status']}): there is nothing left to cancel",
            )
        updated = self.store.update(cid, request_cancel)
        if not updated.get("cancel_requested_at"):  # it settled between the read above and this write
            raise ApiError(
                409,
                "AlreadySettled",
                f"campaign {cid} already finished ({updated['status']}): there is nothing left to cancel",
            )
        self._repair(item, updated["status"])
        self.log.info("campaign cancel requested", extra={"campaign_id": cid, "owner": caller.owner})
        return {
            "campaign_id": cid,
            "status": updated["status"],
            "cancel_requested_at": updated["cancel_requested_at"],
            "products": {p["name"]: p["status"] for p in updated["products"]},
            "note": "products not started are cancelled; products being made finish, then the campaign settles "
            "as cancelled",
        }

    def _cancelled_before_start(self, item: dict[str, Any]) -> dict[str, Any]:
        """A campaign still queued: the API writes its manifest first, every product cancelled. The parser's own
        create then finds it (S3 If-None-Match) and routes nothing; if the parser got there first, this create
        finds the parser's manifest, and the cancel applies to that."""
        if self._rejection(item) is not None:
            raise ApiError(409, "Rejected", f"campaign {item['campaign_id']} was rejected: there is nothing to cancel")
        stored = self.s3.get_object(Bucket=self.bucket, Key=item["brief_key"])
        brief = check_brief(stored["Body"].read(), self.max_brief_bytes).brief
        if brief is None:  # it was valid at submit: only a changed limit could refuse it now
            raise ApiError(409, "NotStartedYet", f"campaign {item['campaign_id']} is queued; try again shortly")
        products = [
            {
                "index": index,
                "name": product["name"],
                "image_source": "existing" if product.get("existing_assets") else "generated",
                "status": "pending",  # request_cancel cancels it, with its reason
            }
            for index, product in enumerate(brief["products"])
        ]
        manifest = new_manifest(
            campaign_id=item["campaign_id"],
            brief=brief,
            brief_key=item["brief_key"],
            products=products,
            brief_version_id=stored.get("VersionId"),
            bucket=self.bucket,
            owner=item["owner"],
        )
        request_cancel(manifest)
        stored_manifest, created = self.store.create(manifest)
        if created:
            gallery.publish(self.s3, self.bucket, stored_manifest)  # as the parser would: GET names the page
        return stored_manifest

    # -- POST /campaigns/{id}/rerender, GET /versions ------------------------------------------------

    def rerender(self, caller: Caller, cid: str, requested: str) -> dict[str, Any]:
        item = self._item(caller, cid)
        version = resolve(self.jobs.versions(), requested)
        manifest = self._started(item)
        if manifest["status"] not in SETTLED_CAMPAIGN:
            raise ApiError(
                409,
                "StillRunning",
                f"campaign {cid} is still {manifest['status']}: re-render it once it has settled (or cancel it)",
            )
        job = self.jobs.submit(cid, version)
        record = {
            "version": version.name,
            "digest": version.digest,
            "job_definition": job.job_definition,
            "job_id": job.job_id,
            "requested_at": now_iso(),
            "requested_by": caller.subject,
        }

        def remember(current: dict[str, Any]) -> None:  # may run again after a conflicting write: set, once
            if all(r.get("job_id") != job.job_id for r in current.get("rerenders", [])):
                current.setdefault("rerenders", []).append(record)

        self.store.update(cid, remember)
        self.index.add_rerender(caller.owner, cid, record)
        self.log.info("re-render submitted", extra={"campaign_id": cid, "version": version.name, "job": job.job_id})
        return {"campaign_id": cid, **record, **({"note": version.note} if version.note else {})}

    def versions(self) -> dict[str, Any]:
        return {
            "source": self.jobs.source,
            "default": checks.DEFAULT_VERSION,
            "versions": [v.to_json() for v in self.jobs.versions()],
        }

    # -- shared ----------------------------------------------------------------------------------------

    def _item(self, caller: Caller, cid: str) -> dict[str, Any]:
        """The caller's campaign. Another team's is simply not found: its existence is not theirs to learn."""
        item = self.index.get(caller.owner, cid)
        if item is None:
            raise ApiError(
                404,
                "NoSuchCampaign",
                f"no campaign {cid} for {caller.owner}: GET /campaigns lists your team's campaigns",
            )
        return item

    def _started(self, item: dict[str, Any]) -> dict[str, Any]:
        manifest = self.store.get(item["campaign_id"])
        if manifest is not None:
            return manifest
        if self._rejection(item) is not None:
            raise ApiError(409, "Rejected", f"campaign {item['campaign_id']} was rejected: GET it for the reasons")
        raise ApiError(
            409,
            "NotStartedYet",
            f"campaign {item['campaign_id']} is queued and not started yet; try again in a few seconds",
        )

    def _rejection(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """The parser's report when it refused the stored brief (a check that needs the bucket, like the logo)."""
        try:
            answer = self.s3.get_object(Bucket=self.bucket, Key=rejection_report_key(item["brief_key"]))
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404", "AccessDenied", "403"):
                return None
            raise
        report: dict[str, Any] = json.loads(answer["Body"].read())
        return report

    def _repair(self, item: dict[str, Any], status: str) -> None:
        """Keep the index's status current; a failure costs only freshness, the answer is still right."""
        if item.get("status") == status:
            return
        try:
            self.index.set_status(item["owner"], item["campaign_id"], status)
        except ClientError as error:
            self.log.warning(
                "index status not updated", extra={"campaign_id": item["campaign_id"], "error": str(error)}
            )

    def _product(self, product: dict[str, Any]) -> dict[str, Any]:
        variants = [
            {
                "name": v["name"],
                **({"locale": v["locale"]} if v.get("locale") else {}),
                "width": v.get("width"),
                "height": v.get("height"),
                "url": self._presign(v["key"]),
            }
            for v in product.get("variants") or []
            if v.get("key")
        ]
        return {
            "index": product["index"],
            "name": product["name"],
            "status": product["status"],
            "image_source": product.get("image_source"),
            "cost_usd": product.get("cost_usd", 0.0),
            "error": product.get("error"),
            "variants": variants,
        }

    def _shared_gallery(self, manifest: dict[str, Any]) -> str:
        """The gallery for the caller's browser: the bucket's own page links its images relatively, which from a
        presigned page are unsigned requests to a private bucket (403). This copy presigns every link."""
        key = shared_gallery_key(manifest["campaign_id"], uuid.uuid4().hex)
        return self._presign(gallery.publish(self.s3, self.bucket, manifest, key=key, link=self._presign))

    def _presign(self, key: str) -> str:
        url: str = self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=URL_SECONDS
        )
        return url


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    fields = ("campaign_id", "campaign_name", "status", "created_at", "submitted_by", "estimated_cost_usd")
    return {k: item.get(k) for k in fields} | ({"rerenders": item["rerenders"]} if item.get("rerenders") else {})


def _cost_fields(cost: Estimate) -> dict[str, Any]:
    return {key: value for key, value in cost.to_json().items() if key != "products"}
