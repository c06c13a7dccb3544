"""ECR events (pure): which pushes concern this stack, and why the others are ignored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Push:
    repository: str
    registry: str  # the account id that owns the registry
    repository_url: str  # <registry>.dkr.ecr.<region>.amazonaws.com/<repository>: how image references begin
    digest: str
    tag: str

    @property
    def image_uri(self) -> str:
        """The pushed image by digest, as every consumer references it."""
        return f"{self.repository_url}@{self.digest}"


def parse(event: dict[str, Any]) -> Push | Ignored:
    if event.get("source") != "aws.ecr":
        return Ignored(f"source {event.get('source')!r} is not aws.ecr")
    if event.get("detail-type") != "ECR Image Action":
        return Ignored(f"{event.get('detail-type')!r} is not an image push")
    detail = event.get("detail") or {}
    if detail.get("action-type") != "PUSH":
        return Ignored(f"action {detail.get('action-type')!r} is not PUSH")
    if detail.get("result") != "SUCCESS":
        return Ignored(f"push result {detail.get('result')!r} is not SUCCESS")
    digest, tag = detail.get("image-digest"), detail.get("image-tag")
    # Accept what ECR sends: the documented sample's digest is shorter than 64 hex digits.
    if not (isinstance(digest, str) and digest.startswith("sha256:") and len(digest) > len("sha256:")):
        return Ignored(f"image digest {digest!r} is missing or not sha256")
    if not tag:
        return Ignored("an untagged push: no tracked tag can match it")
    repository, registry = detail.get("repository-name", ""), event.get("account", "")
    return Push(
        repository=repository,
        registry=registry,
        repository_url=f"{registry}.dkr.ecr.{event.get('region', '')}.amazonaws.com/{repository}",
        digest=digest,
        tag=tag,
    )
