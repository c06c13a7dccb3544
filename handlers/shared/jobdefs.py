"""Job-definition rewriting (pure): a new revision that changes only the image (the image-push updater, and
the API's re-render at a pushed tag that has no revision yet).

`registration` turns a described job definition (DescribeJobDefinitions) into RegisterJobDefinition
arguments with every image of one repository replaced by an image digest, wherever images sit:
containerProperties, nodeProperties (each node range), ecsProperties (each task's containers) and
eksProperties (the pod's containers and init containers). Every other field is kept as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

# Describe-only fields RegisterJobDefinition does not take.
DESCRIBE_ONLY = ("jobDefinitionArn", "revision", "status", "containerOrchestrationType")


def _containers(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(definition.get("containerProperties"), dict):
        yield definition["containerProperties"]
    for node_range in (definition.get("nodeProperties") or {}).get("nodeRangeProperties") or []:
        if isinstance(node_range.get("container"), dict):
            yield node_range["container"]
    for task in (definition.get("ecsProperties") or {}).get("taskProperties") or []:
        yield from task.get("containers") or []
    pod = (definition.get("eksProperties") or {}).get("podProperties") or {}
    yield from pod.get("containers") or []
    yield from pod.get("initContainers") or []


def images(definition: dict[str, Any]) -> list[str]:
    return [c["image"] for c in _containers(definition) if c.get("image")]


def from_repository(image: str, repository_url: str) -> bool:
    """`image` (by tag or digest, or bare) is an image of `repository_url` (registry/repository)."""
    return image == repository_url or image.startswith((repository_url + ":", repository_url + "@"))


def uses_repository(definition: dict[str, Any], repository_url: str) -> bool:
    return any(from_repository(image, repository_url) for image in images(definition))


def is_current(definition: dict[str, Any], repository_url: str, image_uri: str) -> bool:
    """Every image of the repository is already this digest."""
    return all(image == image_uri for image in images(definition) if from_repository(image, repository_url))


def registration(
    definition: dict[str, Any], repository_url: str, image_uri: str, extra_tags: dict[str, str]
) -> dict[str, Any]:
    args = {k: copy.deepcopy(v) for k, v in definition.items() if k not in DESCRIBE_ONLY}
    for container in _containers(args):
        if container.get("image") and from_repository(container["image"], repository_url):
            container["image"] = image_uri
    args["tags"] = {**(args.get("tags") or {}), **extra_tags}
    return args


def newest_active(definitions: list[dict[str, Any]]) -> dict[str, Any] | None:
    active = [d for d in definitions if d.get("status") == "ACTIVE"]
    return max(active, key=lambda d: d["revision"]) if active else None
