"""Which worker versions a re-render may name (pure), from the job definition's revisions or the worker's
repository, and which revision runs a version.

- `released` (pinned stacks): the image tag of each ACTIVE revision, as `pulumi up` released it (prod keeps every
  released revision ACTIVE). A rollback names an older one; nothing that was not released can run.
- `pushed-tags` (stacks that track latest): every tag of the worker repository; a tag with no revision yet gets
  one registered from the newest revision with only the image changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.api.checks import DEFAULT_VERSION, ApiError
from handlers.shared.image_versions import IMAGE_DIGEST_TAG, IMAGE_TAG_TAG

MAX_NAMED = 20  # versions named in a refusal; GET /versions lists them all


@dataclass(frozen=True)
class Version:
    name: str  # the image tag
    digest: str
    revision: int | None = None
    job_definition: str | None = None  # the revision's ARN, when one runs this digest
    pushed_at: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        shown = {k: v for k, v in vars(self).items() if v is not None and k != "name"}
        return {"version": self.name, **shown}


def released(definitions: list[dict[str, Any]]) -> list[Version]:
    """Newest revision first; one entry per tag (the newest revision that runs it)."""
    found: dict[str, Version] = {}
    active = [d for d in definitions if d.get("status") == "ACTIVE"]
    for definition in sorted(active, key=lambda d: d["revision"], reverse=True):
        tags = definition.get("tags") or {}
        name, digest = tags.get(IMAGE_TAG_TAG), tags.get(IMAGE_DIGEST_TAG)
        if name and digest and name not in found:
            found[name] = Version(name, digest, definition["revision"], definition["jobDefinitionArn"])
    return list(found.values())


def pushed(images: list[dict[str, Any]]) -> list[Version]:
    """ECR DescribeImages details: one entry per tag, newest push first."""
    newest_first = sorted(images, key=lambda i: str(i.get("imagePushedAt", "")), reverse=True)
    return [
        Version(tag, image["imageDigest"], pushed_at=_iso(image.get("imagePushedAt")))
        for image in newest_first
        for tag in image.get("imageTags") or []
    ]


def resolve(versions: list[Version], requested: str) -> Version:
    """The version named; `latest` is the tag latest when it exists, else the newest. Unknown: a 404 naming
    the versions there are."""
    for version in versions:
        if version.name == requested:
            return version
    if requested == DEFAULT_VERSION and versions:
        return versions[0]
    names = [v.name for v in versions]
    listed = ", ".join(names[:MAX_NAMED]) + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")
    raise ApiError(
        404,
        "UnknownVersion",
        f"version {requested!r} does not exist here; versions: {listed or 'none yet'} (GET /versions lists them)",
        {"versions": names},
    )


def revision_for(definitions: list[dict[str, Any]], digest: str) -> dict[str, Any] | None:
    """The newest ACTIVE revision that runs `digest`."""
    running = [
        d for d in definitions if d.get("status") == "ACTIVE" and (d.get("tags") or {}).get(IMAGE_DIGEST_TAG) == digest
    ]
    return max(running, key=lambda d: d["revision"]) if running else None


def repository_url(images: list[str], repository: str) -> str | None:
    """`<registry>/<repository>` as a revision's images reference the worker (by tag or digest)."""
    for image in images:
        base = image.split("@", 1)[0]
        if ":" in base.rsplit("/", 1)[-1]:
            base = base.rsplit(":", 1)[0]
        if base.endswith("/" + repository):
            return base
    return None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
