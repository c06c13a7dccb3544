"""Re-render jobs: the versions a campaign may be re-rendered at, and submitting one (AWS Batch + ECR).

`RerenderJobs` is what the API needs; `BatchRerenderJobs` is the stack's, the local run gives its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from handlers.api import versions
from handlers.api.versions import Version
from handlers.shared import jobdefs
from handlers.shared.environment import PUSHED_TAGS, RELEASED
from handlers.shared.image_versions import IMAGE_DIGEST_TAG, IMAGE_TAG_TAG


@dataclass(frozen=True)
class SubmittedJob:
    job_id: str
    job_definition: str  # the revision (ARN) that runs the version's image


class RerenderJobs(Protocol):
    source: str  # released | pushed-tags | local: where the versions come from

    def versions(self) -> list[Version]: ...

    def submit(self, campaign_id: str, version: Version) -> SubmittedJob: ...


class MissingRevision(RuntimeError):
    """The job definition has no ACTIVE revision to run or to copy: a stack fault, not the caller's."""


@dataclass
class BatchRerenderJobs:
    batch: Any
    ecr: Any  # None unless pushed-tags
    job_queue: str
    job_definition_name: str
    source: str  # released | pushed-tags
    repository: str | None = None  # the worker's ECR repository name (pushed-tags)

    def versions(self) -> list[Version]:
        if self.source == RELEASED:
            return versions.released(self._definitions())
        pages = self.ecr.get_paginator("describe_images").paginate(
            repositoryName=self.repository, filter={"tagStatus": "TAGGED"}
        )
        return versions.pushed([image for page in pages for image in page["imageDetails"]])

    def submit(self, campaign_id: str, version: Version) -> SubmittedJob:
        arn = version.job_definition or self._revision_running(version)
        job = self.batch.submit_job(
            jobName=f"rerender-{campaign_id}"[:128],
            jobQueue=self.job_queue,
            jobDefinition=arn,
            parameters={"campaign_id": campaign_id},  # the worker's command is Ref::campaign_id
        )
        return SubmittedJob(job["jobId"], arn)

    def _definitions(self) -> list[dict[str, Any]]:
        pages = self.batch.get_paginator("describe_job_definitions").paginate(
            jobDefinitionName=self.job_definition_name, status="ACTIVE"
        )
        return [definition for page in pages for definition in page["jobDefinitions"]]

    def _revision_running(self, version: Version) -> str:
        """The revision that runs the version's digest; in pushed-tags stacks one is registered when none does."""
        definitions = self._definitions()
        running = versions.revision_for(definitions, version.digest)
        if running is not None:
            return str(running["jobDefinitionArn"])
        newest = jobdefs.newest_active(definitions)
        url = versions.repository_url(jobdefs.images(newest), self.repository or "") if newest else None
        if newest is None or url is None or self.source != PUSHED_TAGS:
            raise MissingRevision(
                f"job definition {self.job_definition_name} has no ACTIVE revision running {version.name} "
                f"({version.digest}) to copy from"
            )
        args = jobdefs.registration(
            newest,
            url,
            f"{url}@{version.digest}",
            {IMAGE_TAG_TAG: version.name, IMAGE_DIGEST_TAG: version.digest},
        )
        return str(self.batch.register_job_definition(**args)["jobDefinitionArn"])
