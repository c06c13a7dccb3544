"""Which images an ECR lifecycle policy expires, by the rules AWS documents (Amazon ECR User Guide, "How lifecycle
policies work" and "Lifecycle policy properties"), for tests: moto stores lifecycle policies but never applies them.

- Rules are evaluated by rulePriority, lowest first; an image is expired by exactly one rule or none.
- An image that matches the tag selection of a rule cannot be expired by a rule of lower priority (a higher
  number), though a later rule still counts it.
- tagStatus `tagged` with tagPrefixList selects an image having, for every listed prefix, a tag that starts with
  it; with tagPatternList, a tag matching a pattern (`*` any characters). `untagged` selects images without tags;
  `any` every image.
- imageCountMoreThan N expires the selected images beyond the N most recently pushed; sinceImagePushed D (days)
  expires those pushed more than D days before now.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Image:
    digest: str
    pushed_at: datetime
    tags: tuple[str, ...] = ()


def _selects(selection: dict, image: Image) -> bool:
    status = selection["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    if not image.tags:
        return False
    if "tagPrefixList" in selection:
        return all(any(tag.startswith(prefix) for tag in image.tags) for prefix in selection["tagPrefixList"])
    patterns = selection["tagPatternList"]
    return any(fnmatch.fnmatchcase(tag, pattern) for tag in image.tags for pattern in patterns)


def expired(policy: str, images: list[Image], now: datetime) -> set[str]:
    """Digests of the images the policy expires at `now`."""
    rules = sorted(json.loads(policy)["rules"], key=lambda rule: rule["rulePriority"])
    claimed: set[str] = set()  # matched by a rule of higher priority: no later rule may expire them
    gone: set[str] = set()
    for rule in rules:
        selection = rule["selection"]
        selected = sorted((i for i in images if _selects(selection, i)), key=lambda i: i.pushed_at, reverse=True)
        if selection["countType"] == "imageCountMoreThan":
            candidates = selected[selection["countNumber"] :]
        else:
            assert selection["countUnit"] == "days"
            limit = now - timedelta(days=selection["countNumber"])
            candidates = [i for i in selected if i.pushed_at < limit]
        gone.update(i.digest for i in candidates if i.digest not in claimed)
        claimed.update(i.digest for i in selected)
    return gone
