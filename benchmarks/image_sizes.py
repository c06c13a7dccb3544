"""Installed dependency size per function image (what `pip install --target` adds on top of the base image).

    .venv/bin/python -m benchmarks.image_sizes

Installs each handler's requirements.txt into an empty folder as its Dockerfile does (--no-deps), with the wheels
the image gets (CPython 3.13, linux x86_64; pip runs in a Python 3.13 found on this machine), and prints the size
in MB of what was installed (without bytecode) and of the copied sources.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tools import image_contents
from tools.image_contents import HANDLERS, dockerfile_of, services_with_code


def main() -> None:
    python = image_contents.image_python()
    if python is None:
        sys.exit(f"image_sizes: {image_contents.NO_IMAGE_PYTHON}")
    print(f"wheels for CPython {image_contents.IMAGE_PYTHON} on linux x86_64, installed by {python}")
    print(f"{'service':<15} {'deps MB':>8} {'code MB':>8}  requirements")
    for service in services_with_code():
        spec = dockerfile_of(service)
        with tempfile.TemporaryDirectory() as folder:
            installed = Path(folder) / "installed"
            image_contents.install_requirements(HANDLERS / spec.requirements, installed, python, no_deps=spec.no_deps)
            code = image_contents.layout(service, Path(folder) / "task")
            requirements = ", ".join(
                line
                for line in (HANDLERS / spec.requirements).read_text().splitlines()
                if line and not line.startswith("#")
            )
            print(
                f"{service:<15} {image_contents.folder_size(installed) / 1e6:>8.1f} "
                f"{image_contents.folder_size(code) / 1e6:>8.2f}  {requirements or '(none)'}"
            )


if __name__ == "__main__":
    main()
