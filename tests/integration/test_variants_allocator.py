"""The variants image's allocator settings (its Dockerfile's ENV) do what its comment says: a warm function
renders its next product in memory it already has, instead of faulting thousands of fresh pages in again."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tools.image_contents import dockerfile_of, parse_dockerfile

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "existing-assets" / "acme" / "citrus" / "product.png"
STEADY_RENDER = f"""
import resource
from handlers.variants.render import render_all
data = open({str(SAMPLE)!r}, "rb").read()
render_all(data, "Stay cool all summer")  # the first product: the process grows to what a render needs
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
render_all(data, "Stay cool all summer")
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

glibc_only = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="the settings are glibc's (the image's libc)"
)


def page_faults_of_the_second_render(environment: dict[str, str]) -> int:
    result = subprocess.run(
        [sys.executable, "-c", STEADY_RENDER], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return int(result.stdout.strip().splitlines()[-1])


@glibc_only
def test_the_image_environment_renders_the_next_product_in_memory_the_process_already_has():
    settings = dict(dockerfile_of("variants").environment)
    assert set(settings) == {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}
    plain = {name: value for name, value in os.environ.items() if not name.startswith("MALLOC_")}
    # One 1080x1920 RGB frame alone is 8 MB, some 2,000 pages of 4 KiB: a render that gets its frames from the
    # kernel again faults thousands of pages in.
    assert page_faults_of_the_second_render(plain) > 1000
    assert page_faults_of_the_second_render(plain | settings) < 200


def test_env_lines_are_read_as_the_image_sets_them(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text('FROM public.ecr.aws/lambda/python:3.13\nENV A=1 B="two words"\nCMD ["x.app.handler"]\n')
    assert parse_dockerfile(dockerfile).environment == (("A", "1"), ("B", "two words"))
    dockerfile.write_text("FROM public.ecr.aws/lambda/python:3.13\nENV A 1\n")
    with pytest.raises(ValueError, match="name=value"):
        parse_dockerfile(dockerfile)
