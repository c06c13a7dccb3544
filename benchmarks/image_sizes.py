"""Installed dependency size per function image (what `pip install --target` adds on top of the base image).

    .venv/bin/python -m benchmarks.image_sizes

Installs each handler's requirements.txt into an empty folder, as its Dockerfile does, and prints the size
in MB of what was installed and of the copied sources. Figures are for this machine's platform wheels;
linux/amd64 wheels in the image are of the same order.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tools import image_contents
from tools.image_contents import HANDLERS, dockerfile_of, services_with_code


def main() -> None:
    print(f"{'service':<15} {'deps MB':>8} {'code MB':>8}  requirements")
    for service in services_with_code():
        spec = dockerfile_of(service)
        with tempfile.TemporaryDirectory() as folder:
            installed = Path(folder) / "installed"
            image_contents.install_requirements(HANDLERS / spec.requirements, installed)
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
