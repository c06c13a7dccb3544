"""What a function's container image holds, worked out without a Docker daemon.

`layout(service, dest)` copies the sources exactly as the service's Dockerfile COPYs them (build context
`handlers/`, laid out as the package `handlers` in the image), `install_requirements` installs its
requirements.txt with `pip --target` as the Dockerfile does, for the image's Python (CPython 3.13 on linux
x86_64, wheels only), and `unresolved_imports` lists every module the entry point imports (transitively, through
the copied sources) that neither the standard library, the base image, the copied sources nor the installed
requirements provide. `image_python()` finds a Python 3.13 on this machine to run pip and the imports as the image
would. Used by tests/integration/test_image_contents.py and benchmarks/image_sizes.py.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "handlers"
LAMBDA_TASK_ROOT = "${LAMBDA_TASK_ROOT}"
# What a Lambda image takes from the AWS Lambda Python base image besides the standard library: its runtime
# interface client. The base image's boto3 is not used: each image pins its own AWS SDK (requirements.txt), which
# comes first on the runtime's sys.path.
LAMBDA_BASE_IMAGE_MODULES = {"awslambdaric"}
# The oldest botocore whose S3 PutObject takes IfMatch (the manifest's conditional update); IfNoneMatch is older.
CONDITIONAL_WRITES_BOTOCORE = "1.35.69"
IMAGE_PYTHON = "3.13"  # public.ecr.aws/lambda/python:3.13 and python:3.13-slim
# The images' platform, the stacks' images.platform default (linux/amd64), as pip's wheel tags: manylinux up to
# glibc 2.34, Amazon Linux 2023's (the Lambda base image; the Debian of python:3.13-slim has a newer one), newest
# first as pip ranks them; manylinux2014, 2010 and 1 are the older names of 2_17, 2_12 and 2_5.
IMAGE_GLIBC_MINOR = 34
LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


def image_platform_tags() -> list[str]:
    tags = []
    for minor in range(IMAGE_GLIBC_MINOR, 4, -1):
        tags.append(f"manylinux_2_{minor}_x86_64")
        if minor in LEGACY_MANYLINUX:
            tags.append(f"{LEGACY_MANYLINUX[minor]}_x86_64")
    return tags


def pip_target_options() -> list[str]:
    """pip options that pick wheels for the image's interpreter and platform, whatever machine runs pip (markers:
    `for_image`). Wheels only: a pin without a wheel for CPython 3.13 on linux x86_64 fails here, as it fails in
    the image build."""
    return [
        "--python-version",
        IMAGE_PYTHON,
        "--implementation",
        "cp",
        "--abi",
        "cp" + IMAGE_PYTHON.replace(".", ""),
        "--only-binary=:all:",
        *(f"--platform={tag}" for tag in image_platform_tags()),
    ]


@functools.cache
def image_python() -> str | None:
    """A Python 3.13 interpreter with pip on this machine (None if there is none): this one if it is 3.13, else
    `python3.13` on PATH, else pyenv's. pip runs in it because pip evaluates dependencies' environment markers
    (`; python_version < "3.13"`) for the interpreter it runs in, whatever --python-version says."""
    name = f"python{IMAGE_PYTHON}"
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [sys.executable, shutil.which(name)]
    candidates += sorted((str(p) for p in pyenv_root.glob(f"versions/{IMAGE_PYTHON}*/bin/{name}")), reverse=True)
    probe = "import sys, pip; print('%d.%d' % sys.version_info[:2])"
    for candidate in filter(None, candidates):
        try:
            answer = subprocess.run([candidate, "-c", probe], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if answer.returncode == 0 and answer.stdout.strip() == IMAGE_PYTHON:
            return candidate
    return None


NO_IMAGE_PYTHON = (
    f"no Python {IMAGE_PYTHON} with pip found (looked at this interpreter, python{IMAGE_PYTHON} on PATH and pyenv's "
    f"versions): install one (pyenv install {IMAGE_PYTHON}, or your system's python{IMAGE_PYTHON} and python3-pip)"
)


@dataclass(frozen=True)
class Copy:
    source: str  # relative to the build context (handlers/)
    destination: str  # inside the image, relative to the working root


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    base_image: str
    workdir: str  # the image's code root: ${LAMBDA_TASK_ROOT} or the WORKDIR
    copies: list[Copy]
    requirements: str | None  # context-relative path of the requirements file it installs
    no_deps: bool = False  # its `pip install` takes the requirements as the complete list (--no-deps)
    command: tuple[str, ...] = ()  # CMD (Lambda: the handler's dotted path) or ENTRYPOINT, exec form
    system_packages: frozenset[str] = frozenset()  # installed by `RUN dnf install` (the base image's OS)
    environment: tuple[tuple[str, str], ...] = ()  # ENV name=value, in order

    @property
    def is_lambda(self) -> bool:
        return self.base_image.startswith("public.ecr.aws/lambda/")


def services_with_code() -> list[str]:
    """Handler folders that hold a function or job (an app.py or a __main__.py)."""
    return sorted(
        p.name for p in HANDLERS.iterdir() if p.is_dir() and ((p / "app.py").exists() or (p / "__main__.py").exists())
    )


def parse_dockerfile(path: Path) -> Dockerfile:
    base, workdir, copies, requirements, no_deps, command = "", LAMBDA_TASK_ROOT, [], None, False, ()
    system_packages: set[str] = set()
    environment: list[tuple[str, str]] = []
    lines = path.read_text().replace("\\\n", " ").splitlines()
    for line in lines:
        words = shlex.split(line, comments=True)
        if not words:
            continue
        instruction, args = words[0].upper(), words[1:]
        if instruction == "FROM":
            base = args[0]
            if not base.startswith("public.ecr.aws/lambda/"):
                workdir = "/"
        elif instruction == "WORKDIR":
            workdir = args[0]
        elif instruction == "RUN" and "pip" in args and "install" in args:
            no_deps = no_deps or "--no-deps" in args
        elif instruction == "RUN" and args[:2] in (["dnf", "install"], ["microdnf", "install"]):
            command_words = " ".join(args).split("&&")[0].split()
            system_packages.update(w for w in command_words[2:] if not w.startswith("-"))
        elif instruction == "ENV":
            if not all("=" in pair for pair in args):
                raise ValueError(f"{path}: write ENV as name=value (the legacy 'ENV name value' is not read)")
            environment += [(name, value) for name, _, value in (pair.partition("=") for pair in args)]
        elif instruction in ("CMD", "ENTRYPOINT"):
            command = tuple(json.loads(line.split(None, 1)[1]))
        elif instruction == "COPY":
            *sources, destination = [a for a in args if not a.startswith("--")]
            for source in sources:
                if source.endswith("requirements.txt"):
                    requirements = source  # installed by a RUN pip, not part of the code tree
                    continue
                copies.append(Copy(source, _relative(destination, workdir)))
    return Dockerfile(
        path, base, workdir, copies, requirements, no_deps, command, frozenset(system_packages), tuple(environment)
    )


def _relative(destination: str, workdir: str) -> str:
    destination = destination.replace("${LAMBDA_TASK_ROOT}", LAMBDA_TASK_ROOT)
    for root in (LAMBDA_TASK_ROOT, workdir.rstrip("/")):
        if root and destination.startswith(root):
            return destination[len(root) :].lstrip("/")
    if destination.startswith("/"):
        raise ValueError(f"COPY to {destination} lands outside the code root {workdir}")
    return destination


def dockerfile_of(service: str) -> Dockerfile:
    return parse_dockerfile(HANDLERS / service / "Dockerfile")


def layout(service: str, destination: Path, context: Path = HANDLERS) -> Path:
    """Copy the service's sources into `destination` as its Dockerfile lays them out in the image."""
    spec = parse_dockerfile(context / service / "Dockerfile")
    for copy in spec.copies:
        source = context / copy.source
        target = destination / copy.destination
        if copy.destination.endswith("/") or source.is_dir():
            if source.is_dir():
                shutil.copytree(
                    source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests")
                )
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / source.name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def install_requirements(requirements: Path, target: Path, python: str, no_deps: bool = False) -> None:
    """`pip install --target`, as the Dockerfile does, for the image's interpreter and platform; pip runs in
    `python` (a Python 3.13: `image_python()`)."""
    target.mkdir(parents=True, exist_ok=True)
    if not requirements.read_text().strip():
        return
    _pip(python, requirements, "--no-compile", *(["--no-deps"] if no_deps else []), "--target", str(target))


# Environment markers as the image evaluates them: pip evaluates a requirement's marker against the machine it runs
# on, whatever --platform says, so they are decided here (an arm64 laptop would otherwise leave x86_64-only
# packages out of the x86_64 image).
IMAGE_MARKER_ENVIRONMENT = {
    "platform_machine": "x86_64",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "python_version": IMAGE_PYTHON,
    "python_full_version": IMAGE_PYTHON + ".0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def for_image(requirements: str) -> str:
    """The requirements as the image's pip sees them: lines whose marker is false for the image dropped, the
    other markers removed."""
    lines = []
    for line in requirements.splitlines():
        spec, _, marker = line.split("#")[0].partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate(IMAGE_MARKER_ENVIRONMENT):
            continue
        lines.append(spec.rstrip() if marker.strip() else line)
    return "\n".join(lines) + "\n"


def _pip(python: str, requirements: Path, *options: str) -> None:
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pip_target_options()]
    with tempfile.TemporaryDirectory() as folder:
        resolved = Path(folder) / "requirements.txt"
        resolved.write_text(for_image(requirements.read_text()))
        result = subprocess.run([*command, *options, "--requirement", str(resolved)], capture_output=True, text=True)
    if result.returncode != 0:
        reason = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("WARNING:"))
        raise RequirementsError(
            f"{requirements}: pip cannot install it for CPython {IMAGE_PYTHON} on linux x86_64 "
            f"(wheels only, as in the image):\n{reason.strip()[-2000:]}"
        )


class RequirementsError(Exception):
    """pip refused an image's requirements for the image's interpreter and platform (message: pip's reason)."""


def pinned(requirements: Path) -> dict[str, str]:
    """Normalized name -> version of each `name==version` line the image installs (markers: `for_image`)."""
    found = {}
    for line in for_image(requirements.read_text()).splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if version:
            found[normalize(name)] = version.strip()
    return found


def resolve(requirements: Path, python: str) -> dict[str, str]:
    """What pip would install for `requirements` with dependencies in the image (normalized name -> version),
    installing nothing: `pip install --dry-run --report`, for the image's interpreter and platform."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        # --target (never written: a dry run) ignores what `python` has installed, and older pips need it with
        # --platform.
        _pip(python, requirements, "--dry-run", "--target", str(Path(folder) / "target"), "--report", str(report))
        return {
            normalize(item["metadata"]["name"]): item["metadata"]["version"]
            for item in json.loads(report.read_text())["install"]
        }


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_modules(folder: Path) -> set[str]:
    names = set()
    for entry in folder.iterdir() if folder.exists() else []:
        if entry.name.endswith((".dist-info", ".egg-info", "__pycache__")) or entry.name.startswith("."):
            continue
        if entry.is_dir():
            names.add(entry.name)
        elif entry.suffix == ".py" or entry.suffix == ".so":
            names.add(entry.name.split(".")[0])
    return names


def imports_of(entry: Path, code_root: Path) -> set[str]:
    """Modules imported by `entry` (dotted, as written), following imports into modules under `code_root`."""
    seen_files: set[Path] = set()
    found: set[str] = set()
    pending = [entry]
    while pending:
        path = pending.pop()
        if path in seen_files:
            continue
        seen_files.add(path)
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
                # `from package import module` imports a submodule when one exists (else an attribute).
                pending.extend(filter(None, (_local_module(f"{node.module}.{a.name}", code_root) for a in node.names)))
            for name in names:
                found.add(name)
                local = _local_module(name, code_root)
                if local:
                    pending.append(local)
    return found


def _local_module(dotted: str, code_root: Path) -> Path | None:
    candidate = code_root.joinpath(*dotted.split("."))
    if candidate.with_suffix(".py").exists():
        return candidate.with_suffix(".py")
    if (candidate / "__init__.py").exists():
        return candidate / "__init__.py"
    return None


def unresolved_imports(entry: Path, code_root: Path, installed: Path, base_image_modules: set[str]) -> set[str]:
    """Imports nothing in the image provides: a module of the image's own code by its dotted name (a missing
    COPY), anything else by its top-level name (a missing requirement)."""
    own = top_level_modules(code_root)
    provided = set(sys.stdlib_module_names) | base_image_modules | top_level_modules(installed) | {"__future__"}
    missing = set()
    for name in imports_of(entry, code_root):
        top = name.split(".")[0]
        if top in own:
            if _local_module(name, code_root) is None:
                missing.add(name)
        elif top not in provided:
            missing.add(top)
    return missing


def unused_installs(entry: Path, code_root: Path, installed: Path) -> set[str]:
    """Distributions installed in the image that nothing uses: neither imported by the image's code (following
    its own modules from `entry`) nor required, directly or through others, by a distribution that is."""
    distributions = {}  # normalized name -> (top-level modules, required names)
    for info in installed.glob("*.dist-info"):
        name = normalize(info.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        record = (info / "RECORD").read_text().splitlines() if (info / "RECORD").exists() else []
        tops = {line.split(",")[0].split("/")[0] for line in record}
        modules = {
            top.split(".")[0] for top in tops if not top.endswith((".dist-info", ".libs", ".data")) and top != "bin"
        }
        metadata = (info / "METADATA").read_text(errors="replace").splitlines()
        required = {
            normalize(re.split(r"[\s;<>=!~\[(]", line.removeprefix("Requires-Dist:").strip(), maxsplit=1)[0])
            for line in metadata
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        }
        distributions[name] = (modules, required)
    imported = {name.split(".")[0] for name in imports_of(entry, code_root)}
    used = {name for name, (modules, _) in distributions.items() if modules & imported}
    pending = list(used)
    while pending:
        for required in distributions[pending.pop()][1]:
            if required in distributions and required not in used:
                used.add(required)
                pending.append(required)
    return set(distributions) - used


# Shared libraries installed packages load by name at run time (dlopen) without shipping them, and the
# Amazon Linux 2023 package that provides each. Pillow's wheels vendor raqm and HarfBuzz but not FriBiDi:
# without it raqm cannot order right-to-left text and Pillow silently falls back to basic layout.
SYSTEM_LIBRARIES = {"libfribidi.so.0": "fribidi"}


def system_libraries_needed(installed: Path) -> dict[str, str]:
    """Library -> OS package, for each library of SYSTEM_LIBRARIES that a compiled module in `installed`
    names (so loads at run time) and that no file in `installed` provides."""
    needed = {}
    binaries = [path for path in installed.rglob("*.so") if path.is_file()]
    for library, package in SYSTEM_LIBRARIES.items():
        named = any(library.encode() in path.read_bytes() for path in binaries)
        shipped = any(installed.rglob(library.split(".so")[0] + "*.so*"))
        if named and not shipped:
            needed[library] = package
    return needed


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
