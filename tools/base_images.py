"""The Dockerfiles' base images: pinned by digest, checked, and refreshed.

    python3 -m tools.base_images check [DOCKERFILE ...]   # exit 1, naming each FROM without @sha256:<digest>
    python3 -m tools.base_images pin [DOCKERFILE ...]     # resolve each FROM's tag to its digest and write it

Dockerfiles default to handlers/*/Dockerfile of the working directory. `pin` asks the registry through
`docker buildx imagetools inspect` (a machine with Docker and registry access); it keeps the tag beside the digest
(`python:3.13-slim@sha256:...`), as Renovate's docker:pinDigests writes it, so both tools read and update the same
line. Standard library only: the prod release job runs `check` before any environment is installed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
FROM = re.compile(r"^(?P<head>\s*FROM\s+(?:--\S+\s+)*)(?P<image>\S+)(?P<tail>(?:\s+AS\s+(?P<stage>\S+))?\s*)$", re.I)


@dataclass(frozen=True)
class BaseImage:
    dockerfile: Path
    line: int  # 1-based
    image: str  # as written: name[:tag][@sha256:digest]

    @property
    def pinned(self) -> bool:
        return DIGEST.search(self.image) is not None

    @property
    def reference(self) -> str:
        """The image without its digest: what the registry resolves."""
        return self.image.split("@", 1)[0]


def base_images(dockerfile: Path) -> list[BaseImage]:
    """Every FROM that names an image (not an earlier build stage, not `scratch`)."""
    found, stages = [], set()
    for number, line in enumerate(dockerfile.read_text().splitlines(), start=1):
        match = FROM.match(line)
        if not match:
            continue
        image = match.group("image")
        if image.lower() not in stages and image != "scratch":
            found.append(BaseImage(dockerfile, number, image))
        if match.group("stage"):
            stages.add(match.group("stage").lower())
    return found


def shown(path: Path) -> str:
    """A path as a reader finds it: relative to the working directory when it is inside it."""
    return str(path.resolve().relative_to(Path.cwd())) if path.resolve().is_relative_to(Path.cwd()) else str(path)


def default_dockerfiles(checkout: Path | None = None) -> list[Path]:
    """handlers/*/Dockerfile of `checkout` (default: the working directory, the checkout a CI job runs in)."""
    return sorted((checkout or Path.cwd()).joinpath("handlers").glob("*/Dockerfile"))


def check(dockerfiles: list[Path]) -> list[str]:
    """One line per FROM without a digest (an `${ARG}` image counts as one: its digest cannot be read here)."""
    return [
        f"{shown(image.dockerfile)}:{image.line}: FROM {image.image} is not pinned by digest (make pin-base-images)"
        for dockerfile in dockerfiles
        for image in base_images(dockerfile)
        if not image.pinned or "$" in image.image
    ]


def resolve(reference: str) -> str:
    """The digest the registry serves under `reference` now: the image index (every platform) when there is one.
    `--format '{{json .Manifest}}'` prints the descriptor of what the reference names (Docker docs, buildx
    imagetools inspect)."""
    answer = subprocess.run(
        ["docker", "buildx", "imagetools", "inspect", reference, "--format", "{{json .Manifest}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    digest = str(json.loads(answer.stdout)["digest"])
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise ValueError(f"{reference}: the registry answered digest {digest!r}")
    return digest


def pin(dockerfile: Path) -> list[str]:
    """Rewrite each FROM of `dockerfile` as `<reference>@<digest the registry serves now>`; what changed."""
    lines = dockerfile.read_text().splitlines(keepends=True)
    changed = []
    for image in base_images(dockerfile):
        if "$" in image.image:
            raise ValueError(f"{dockerfile}:{image.line}: FROM {image.image} names its image through an ARG")
        pinned = f"{image.reference}@{resolve(image.reference)}"
        if pinned != image.image:
            match = FROM.match(lines[image.line - 1].rstrip("\n"))
            assert match is not None
            ending = "\n" if lines[image.line - 1].endswith("\n") else ""
            lines[image.line - 1] = f"{match.group('head')}{pinned}{match.group('tail')}{ending}"
            changed.append(f"{shown(dockerfile)}:{image.line}: {image.image} -> {pinned}")
    dockerfile.write_text("".join(lines))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("check", "pin"))
    parser.add_argument("dockerfiles", nargs="*", type=Path)
    args = parser.parse_args(argv)
    dockerfiles = args.dockerfiles or default_dockerfiles()
    if args.command == "check":
        problems = check(dockerfiles)
        for problem in problems:
            print(f"::error::{problem}")
        if not problems:
            print(f"every FROM of {len(dockerfiles)} Dockerfile(s) is pinned by digest")
        return 1 if problems else 0
    for dockerfile in dockerfiles:
        for change in pin(dockerfile):
            print(change)
    return 0


if __name__ == "__main__":
    sys.exit(main())
