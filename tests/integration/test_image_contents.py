"""Each image holds what its function imports: proven without Docker, from the Dockerfile itself.

For every handler with code, the sources are laid out as its Dockerfile COPYs them, its requirements are
installed with `pip --target` as the Dockerfile does, for the image's Python (CPython 3.13, linux x86_64 wheels),
and its entry point is imported in a fresh Python 3.13 that sees only the standard library, that folder and (for
Lambda images) its runtime interface client. A missing COPY or requirement, or a pin without a wheel for the
image's Python, fails here as it would fail in the build or on Lambda's first cold start. Without a Python 3.13 on
the machine these tests are skipped, saying why; with CI=true they fail.
"""

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from components.settings import SERVICES
from tools import image_contents
from tools.image_contents import HANDLERS, dockerfile_of, services_with_code


@pytest.fixture(scope="session")
def python313() -> str:
    """The images' Python on this machine: pip installs with it and the entry points import in it. CI must have
    one (the check is the point); elsewhere the test is skipped, saying what to install."""
    python = image_contents.image_python()
    if python is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {image_contents.NO_IMAGE_PYTHON}", pytrace=False)
        pytest.skip(f"{image_contents.NO_IMAGE_PYTHON}; CI=true makes this a failure")
    return python


def import_in_image(python: str, code_root: Path, paths: list[Path], statement: str) -> subprocess.CompletedProcess:
    """Run `statement` in `python` without site-packages (-S): only stdlib + the given folders."""
    search_path = os.pathsep.join(str(folder) for folder in [code_root, *paths])
    return subprocess.run(
        [python, "-S", "-s", "-c", statement],
        capture_output=True,
        text=True,
        cwd=code_root,
        timeout=120,
        env={"PYTHONPATH": search_path},
    )


def build_image_tree(service: str, tmp_path: Path, python: str, context: Path = HANDLERS) -> tuple[Path, Path]:
    code_root = image_contents.layout(service, tmp_path / "task", context)
    spec = image_contents.parse_dockerfile(context / service / "Dockerfile")
    installed = tmp_path / "installed"
    image_contents.install_requirements(context / spec.requirements, installed, python, no_deps=spec.no_deps)
    return code_root, installed


@pytest.fixture(scope="session")
def image_tree(tmp_path_factory, python313):
    """`image_tree(service)`: the image's files as its Dockerfile lays them out, built once per test session (pip
    installs take seconds each) and shared by the tests that only read them."""
    built: dict[str, tuple[Path, Path]] = {}

    def tree(service: str) -> tuple[Path, Path]:
        if service not in built:
            built[service] = build_image_tree(service, tmp_path_factory.mktemp(f"image-{service}"), python313)
        return built[service]

    return tree


def test_every_service_has_a_dockerfile():
    for service in SERVICES:
        assert (HANDLERS / service.replace("-", "_") / "Dockerfile").exists(), service
    assert (HANDLERS / ".dockerignore").exists()


# Single modules an image takes from another function, by name: variants calls the image model for a brief's
# generative expand with the generator's BedrockImages (its retries, deadline and price table); the API checks briefs.
BORROWED = {
    "variants": {"generator/__init__.py": "handlers/generator", "generator/models.py": "handlers/generator"},
    # The campaign API validates a submitted brief with the parser's own code and names it as the parser does.
    # Its cost estimate counts an expand brief's outpainting per variant size (variants/layout.py, pure).
    "api": {
        **{
            f"parser/{name}": "handlers/parser"
            for name in ("__init__.py", "brief.py", "brief.schema.json", "wording.py", "campaign.py", "events.py")
        },
        "variants/__init__.py": "handlers/variants",
        "variants/layout.py": "handlers/variants",
    },
}


@pytest.mark.parametrize("service", services_with_code())
def test_dockerfile_follows_the_image_conventions(service):
    spec = dockerfile_of(service)
    assert spec.requirements == f"{service}/requirements.txt"
    sources = {c.source.rstrip("/"): c.destination.rstrip("/") for c in spec.copies}
    # The code keeps its package path in the image, so `handlers.<service>` imports as in the tests.
    assert sources == {
        "__init__.py": "handlers/__init__.py",
        "shared": "handlers/shared",
        service: f"handlers/{service}",
        **BORROWED.get(service, {}),
    }
    assert spec.no_deps, "the requirements are the complete pinned list: installed with --no-deps"
    if spec.is_lambda:
        assert spec.base_image.startswith("public.ecr.aws/lambda/python:3.13")
        assert spec.command == (f"handlers.{service}.app.handler",)
        pinned = image_contents.pinned(HANDLERS / service / "requirements.txt")
        assert {"boto3", "botocore"} <= set(pinned), "each image pins its AWS SDK, not the base image's"


@pytest.mark.network  # pip installs the image's requirements
@pytest.mark.slow
@pytest.mark.parametrize("service", services_with_code())
def test_image_imports_its_entry_point_with_only_its_own_contents(service, image_tree, python313):
    code_root, installed = image_tree(service)
    spec = dockerfile_of(service)
    entry = code_root / "handlers" / service / ("app.py" if spec.is_lambda else "__main__.py")
    missing = image_contents.unresolved_imports(
        entry, code_root, installed, image_contents.LAMBDA_BASE_IMAGE_MODULES if spec.is_lambda else set()
    )
    assert missing == set(), f"{service}: imported but neither copied nor installed: {missing}"
    paths = [installed]
    module = ".".join(spec.command[-1].split(".")[:-1]) if spec.is_lambda else f"handlers.{service}.__main__"
    assert module == f"handlers.{service}.{'app' if spec.is_lambda else '__main__'}"
    statement = (
        f"from {module} import handler; assert callable(handler)"
        if spec.is_lambda
        else f"import importlib.util; assert importlib.util.find_spec({module!r})"
    )
    result = import_in_image(python313, code_root, paths, statement)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.network  # pip installs the image's requirements
@pytest.mark.slow
@pytest.mark.parametrize("service", services_with_code())
def test_image_installs_nothing_its_code_does_not_use(service, image_tree):
    code_root, installed = image_tree(service)
    entry = code_root / "handlers" / service / ("app.py" if dockerfile_of(service).is_lambda else "__main__.py")
    unused = image_contents.unused_installs(entry, code_root, installed)
    assert unused == set(), f"{service}: installed, but neither imported nor needed by what is: {unused}"


@pytest.mark.network  # pip resolves the image's requirements
@pytest.mark.slow
@pytest.mark.parametrize("service", services_with_code())
def test_requirements_pin_every_package_the_image_installs(service, python313):
    requirements = HANDLERS / service / "requirements.txt"
    pinned = image_contents.pinned(requirements)
    resolved = image_contents.resolve(requirements, python313)
    unpinned = {name: version for name, version in resolved.items() if name not in pinned}
    assert unpinned == {}, f"{service}: pulled in but not pinned in {requirements.name}"
    assert {name: resolved.get(name) for name in pinned} == pinned, "every pin is what pip resolves"


def synthetic_context(tmp_path: Path, requirements: str, copy_shared: bool) -> Path:
    context = tmp_path / "context"
    (context / "shared").mkdir(parents=True)
    (context / "__init__.py").write_text("")
    (context / "shared" / "__init__.py").write_text("")
    (context / "shared" / "helpers.py").write_text("import json\n")
    (context / "demo").mkdir()
    (context / "demo" / "__init__.py").write_text("")
    (context / "demo" / "app.py").write_text(
        textwrap.dedent("""
        import six
        from handlers.shared import helpers

        def handler(event, context):
            return six.text_type(event)
    """)
    )
    (context / "demo" / "requirements.txt").write_text(requirements)
    shared_line = "COPY shared/ ${LAMBDA_TASK_ROOT}/handlers/shared/\n" if copy_shared else ""
    (context / "demo" / "Dockerfile").write_text(
        "FROM public.ecr.aws/lambda/python:3.13\nCOPY demo/requirements.txt /tmp/requirements.txt\n"
        'RUN pip install --requirement /tmp/requirements.txt --target "${LAMBDA_TASK_ROOT}"\n'
        "COPY __init__.py ${LAMBDA_TASK_ROOT}/handlers/__init__.py\n"
        f"{shared_line}COPY demo/ ${{LAMBDA_TASK_ROOT}}/handlers/demo/\n"
        'CMD ["handlers.demo.app.handler"]\n'
    )
    return context


@pytest.mark.network  # pip installs the image's requirements
@pytest.mark.slow
def test_a_missing_copy_or_requirement_is_caught(tmp_path, python313):
    context = synthetic_context(tmp_path / "a", requirements="", copy_shared=False)
    code_root, installed = build_image_tree("demo", tmp_path / "a", python313, context)
    entry = code_root / "handlers" / "demo" / "app.py"
    assert image_contents.unresolved_imports(entry, code_root, installed, {"boto3"}) == {"six", "handlers.shared"}
    result = import_in_image(python313, code_root, [installed], "import handlers.demo.app")
    assert result.returncode != 0 and "ModuleNotFoundError" in result.stderr

    context = synthetic_context(tmp_path / "b", requirements="six==1.17.0\nidna==3.10\n", copy_shared=True)
    code_root, installed = build_image_tree("demo", tmp_path / "b", python313, context)
    assert image_contents.unresolved_imports(entry, code_root, installed, {"boto3"}) == set()
    assert image_contents.unused_installs(entry, code_root, installed) == {"idna"}, "installed, imported by nothing"
    statement = "from handlers.demo.app import handler; assert callable(handler)"
    assert import_in_image(python313, code_root, [installed], statement).returncode == 0


@pytest.mark.network  # pip looks for the pin's wheels
@pytest.mark.slow
def test_a_pin_without_a_wheel_for_the_images_python_is_refused(tmp_path, python313):
    # numpy 1.26.4 (February 2024) has CPython wheels up to 3.12 only: this machine's 3.11 would install it, the
    # images' 3.13 finds no wheel (and would need a compiler to build it from source).
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("numpy==1.26.4\n")
    with pytest.raises(image_contents.RequirementsError) as refused:
        image_contents.install_requirements(requirements, tmp_path / "installed", python313, no_deps=True)
    assert "numpy==1.26.4" in str(refused.value) and "CPython 3.13 on linux x86_64" in str(refused.value)
    with pytest.raises(image_contents.RequirementsError, match="numpy==1.26.4"):
        image_contents.resolve(requirements, python313)
    assert not (tmp_path / "installed" / "numpy").exists()


@pytest.mark.network  # pip installs the wheel
@pytest.mark.slow
def test_requirements_install_the_linux_x86_64_cpython_313_wheel(tmp_path, python313):
    # Pillow's compiled core as the image gets it, whatever machine runs the check; the same version's wheels for
    # other Pythons or platforms carry other file names.
    requirements = tmp_path / "requirements.txt"
    pillow = image_contents.pinned(HANDLERS / "variants" / "requirements.txt")["pillow"]
    requirements.write_text(f"pillow=={pillow}\n")
    image_contents.install_requirements(requirements, tmp_path / "installed", python313, no_deps=True)
    assert [p.name for p in (tmp_path / "installed" / "PIL").glob("_imaging.*.so")] == [
        "_imaging.cpython-313-x86_64-linux-gnu.so"
    ]


def test_environment_markers_are_decided_for_the_image_not_for_the_machine_running_pip():
    # pip evaluates a marker against the machine it runs on even with --platform: an arm64 laptop would leave an
    # x86_64-only package out of the x86_64 image it models. The check decides markers for linux x86_64, 3.13.
    requirements = (
        "pillow==13.0.0\n"
        'only-x86==1.0 ; platform_machine == "x86_64"  # like the SIMD resizer\n'
        'only-arm==1.0 ; platform_machine == "aarch64"\n'
        'old-python==1.0 ; python_version < "3.12"\n'
        'on-windows==1.0 ; sys_platform == "win32"\n'
    )
    assert image_contents.for_image(requirements).splitlines() == ["pillow==13.0.0", "only-x86==1.0"]


@pytest.mark.network  # pip installs the image's requirements
def test_the_variants_image_gets_the_simd_resizer(image_tree):
    _code_root, installed = image_tree("variants")
    assert [p.name for p in (installed / "cykooz_resizer").glob("rust_lib.*.so")] == [
        "rust_lib.cpython-313-x86_64-linux-gnu.so"
    ]


@pytest.mark.parametrize("service", services_with_code())
def test_image_installs_the_system_libraries_its_packages_load_at_run_time(service, image_tree):
    """Pillow's raqm layout loads FriBiDi from the system at run time; the Lambda base image (Amazon Linux
    2023) does not ship it, so an image whose packages need it must `dnf install` it, or right-to-left
    text silently falls back to basic layout (letters unjoined, in the wrong order)."""
    _code_root, installed = image_tree(service)
    needed = image_contents.system_libraries_needed(installed)
    spec = dockerfile_of(service)
    missing = {library: package for library, package in needed.items() if package not in spec.system_packages}
    assert missing == {}, f"{service}: loads {sorted(missing)} at run time; its Dockerfile must install {missing}"
    if service == "variants":
        assert needed == {"libfribidi.so.0": "fribidi"}, "the variants draw text with Pillow's raqm layout"


def test_a_missing_system_library_is_caught(tmp_path):
    installed = tmp_path / "installed" / "PIL"
    installed.mkdir(parents=True)
    (installed / "_imagingft.so").write_bytes(b"\0ELF...libfribidi.so.0\0libfribidi.so\0")
    assert image_contents.system_libraries_needed(tmp_path / "installed") == {"libfribidi.so.0": "fribidi"}
    (installed / "libfribidi-1a2b3c4d.so.0.4.0").write_bytes(b"\0ELF")  # a wheel that vendors it
    assert image_contents.system_libraries_needed(tmp_path / "installed") == {}
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM public.ecr.aws/lambda/python:3.13\n"
        "RUN dnf install -y fribidi && dnf clean all\n"
        'CMD ["handlers.x.app.handler"]\n'
    )
    assert image_contents.parse_dockerfile(dockerfile).system_packages == {"fribidi"}


CONDITIONAL_WRITES_PROBE = (
    "import botocore, botocore.session, json; "
    "shape = botocore.session.get_session().get_service_model('s3').operation_model('PutObject').input_shape; "
    "print(json.dumps({'file': botocore.__file__, 'version': botocore.__version__, "
    "'IfMatch': 'IfMatch' in shape.members, 'IfNoneMatch': 'IfNoneMatch' in shape.members}))"
)


def conditional_writes(python: str, folder: Path) -> dict:
    """What the botocore installed in `folder` says of S3 PutObject: its file, version, and whether the request
    takes IfMatch and IfNoneMatch (the manifest's update and create, handlers/shared/manifest.py)."""
    result = import_in_image(python, folder, [], CONDITIONAL_WRITES_PROBE)
    assert result.returncode == 0, result.stderr[-2000:]
    return dict(json.loads(result.stdout))


@pytest.mark.network  # pip installs the image's requirements
@pytest.mark.slow
@pytest.mark.parametrize("service", [s for s in services_with_code() if dockerfile_of(s).is_lambda])
def test_each_lambda_images_sdk_takes_the_manifests_conditional_writes(service, image_tree, python313):
    _code_root, installed = image_tree(service)
    found = conditional_writes(python313, installed)
    assert found["file"].startswith(str(installed)), "the image's own botocore, not another on the path"
    assert (found["IfMatch"], found["IfNoneMatch"]) == (True, True), found


@pytest.mark.network  # pip installs an old botocore
@pytest.mark.slow
def test_the_check_refuses_a_botocore_without_conditional_updates(tmp_path, python313):
    """botocore 1.35.68, one release before S3's IfMatch reached PutObject: the check sees it missing."""
    major, minor, patch = image_contents.CONDITIONAL_WRITES_BOTOCORE.split(".")
    older = f"{major}.{minor}.{int(patch) - 1}"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"botocore=={older}\n")
    image_contents.install_requirements(requirements, tmp_path / "installed", python313)  # with its dependencies
    found = conditional_writes(python313, tmp_path / "installed")
    assert found["version"] == older and found["IfMatch"] is False, found
