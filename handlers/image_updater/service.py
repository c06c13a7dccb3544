"""What the updater does with a push: verify the image, then move each consumer of it to its digest."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from handlers.image_updater import jobdefs
from handlers.image_updater.events import Ignored, Push
from handlers.shared.image_versions import IMAGE_DIGEST_TAG, IMAGE_TAG_TAG
from handlers.shared.telemetry import Log


@dataclass(frozen=True)
class Target:
    """A service whose image this stack deploys, and who consumes it (from env IMAGE_TARGETS)."""

    service: str
    repository: str
    tag: str  # the tracked tag; pushes of other tags are ignored
    function: str | None = None  # updated only in stacks that track `latest`
    job_definition: str | None = None


@dataclass
class Outcome:
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    ignored: str | None = None
    revisions_registered: int = 0  # of `updated`, the Batch job-definition revisions


# Lambda allows one update of a function at a time and answers ResourceConflictException meanwhile (a dev
# `pulumi up` may be updating the function's configuration). Waited out, then retried: at most this many tries.
CODE_UPDATE_ATTEMPTS = 5


@dataclass
class UpdaterService:
    batch: Any
    ecr: Any
    lambda_client: Any
    targets: list[Target]
    logger: Log
    settle_poll_seconds: int = 2  # GetFunction polls while an update is in progress
    sleep: Callable[[float], None] = time.sleep  # between conflicting tries (backoff 2, 4, 8, 16 s)

    def handle(self, push: Push | Ignored) -> Outcome:
        if isinstance(push, Ignored):
            return Outcome(ignored=push.reason)
        targets = [t for t in self.targets if t.repository == push.repository]
        if not targets:
            return Outcome(ignored=f"repository {push.repository} is not this stack's")
        targets = [t for t in targets if t.tag == push.tag]
        if not targets:
            return Outcome(ignored=f"tag {push.tag} of {push.repository} is not the tracked one")

        # The event could be replayed or forged: the image must exist under this digest.
        self.ecr.describe_images(
            repositoryName=push.repository, registryId=push.registry, imageIds=[{"imageDigest": push.digest}]
        )
        outcome = Outcome()
        for target in targets:
            if target.job_definition:
                result = self._job_definition(target.job_definition, push)
                registered = result.startswith("registered")
                (outcome.updated if registered else outcome.skipped).append(result)
                outcome.revisions_registered += registered
            if target.function:
                result = self._function(target.function, push)
                (outcome.updated if result.startswith("updated") else outcome.skipped).append(result)
        return outcome

    def _job_definition(self, name: str, push: Push) -> str:
        repository_url = push.repository_url
        pages = self.batch.get_paginator("describe_job_definitions").paginate(jobDefinitionName=name, status="ACTIVE")
        newest = jobdefs.newest_active([d for page in pages for d in page["jobDefinitions"]])
        if newest is None:
            return f"skipped job definition {name}: no ACTIVE revision"
        if not jobdefs.uses_repository(newest, repository_url):
            return f"skipped job definition {name}:{newest['revision']}: does not use {repository_url}"
        if jobdefs.is_current(newest, repository_url, push.image_uri):
            return f"skipped job definition {name}:{newest['revision']}: already on {push.digest}"
        args = jobdefs.registration(
            newest,
            repository_url,
            push.image_uri,
            # The version the revision runs, as the stack tags its own (the campaign API offers re-renders by them).
            {
                "image-updater:previous-revision": str(newest["revision"]),
                IMAGE_TAG_TAG: push.tag,
                IMAGE_DIGEST_TAG: push.digest,
            },
        )
        registered = self.batch.register_job_definition(**args)
        self.logger.info(
            "job definition revision registered",
            extra={
                "job_definition": name,
                "previous_revision": newest["revision"],
                "revision": registered["revision"],
                "image": push.image_uri,
            },
        )
        return f"registered job definition {name}:{registered['revision']} (was {newest['revision']})"

    def _function(self, name: str, push: Push) -> str:
        """Move the function to the pushed digest. An update in progress (Pulumi's, or another updater run's) is
        waited for first; a conflict is retried with backoff; the result is checked once Lambda has applied it."""
        for attempt in range(1, CODE_UPDATE_ATTEMPTS + 1):
            self._settled(name, tolerate_failed=True)
            current = self.lambda_client.get_function(FunctionName=name)["Code"].get("ImageUri")
            if current == push.image_uri:
                return f"skipped function {name}: already on {push.digest}"
            try:
                self.lambda_client.update_function_code(FunctionName=name, ImageUri=push.image_uri)
                break
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceConflictException" or attempt == CODE_UPDATE_ATTEMPTS:
                    raise
                self.logger.info("function busy with another update; retrying", extra={"function": name})
                self.sleep(2**attempt)
        self._settled(name, tolerate_failed=False)
        self.logger.info(
            "function image updated", extra={"function": name, "previous_image": current, "image": push.image_uri}
        )
        return f"updated function {name}"

    def _settled(self, name: str, *, tolerate_failed: bool) -> None:
        """Wait until the function's LastUpdateStatus is no longer InProgress. A Failed earlier update (someone
        else's) does not stop a new one; a Failed update of ours raises."""
        try:
            self.lambda_client.get_waiter("function_updated_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": self.settle_poll_seconds, "MaxAttempts": 50}
            )
        except WaiterError as error:
            status = (error.last_response or {}).get("Configuration", {}).get("LastUpdateStatus")
            if not (tolerate_failed and status == "Failed"):
                raise
