"""Variants rendering: CPU time and peak memory per product, against a straightforward baseline.

    .venv/bin/python -m benchmarks.variants_bench [--runs 7]

For three sources (a 1024x1024 PNG, as the image model returns, and a 4000x3000 JPEG, as a photographer's
existing asset, both full-bleed pictures with no product to frame; and the sample's product shot, framed with
its canvas extended) it renders the five variants of one product several ways, each in a fresh process pinned to
one core (so peak RSS is that case's own):
- optimized: the variants function's code, one locale (product detection, framing, text placement, checks);
- further locale: the same product rendered in a second language after the first (the framing and canvases
  are reused): only the second locale's CPU is counted;
- today (main): the renderer issue 16 replaced (centre crop, bottom band), from main before the creatives
  merge (BEFORE_FRAMING, read with `git archive`), so a change is measured side by side with what it replaces;
- baseline: for each size, LANCZOS resize of the full image to cover, centre crop, draw the text, save JPEG q90;
- codec floor: decode the source once and encode five JPEGs of the target sizes (no resizing, no text):
  no renderer can beat it with these codecs, so it shows how close to the limit the optimized path is.
Prints median CPU ms, peak RSS MB, and the baseline/optimized CPU ratio.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = ROOT / "samples" / "existing-assets" / "acme" / "citrus" / "product.png"  # a product on a plain gradient
MESSAGE = "Stay cool all summer with three new sparkling flavours"
BRAND = ["#0A84FF", "#FFFFFF"]


def make_source(kind: str) -> bytes:
    """A photo-like source: gradients, shapes and grain, so codecs work as hard as on real pictures."""
    from PIL import Image, ImageDraw, ImageFilter

    size = (1024, 1024) if kind == "png" else (4000, 3000)
    rng = random.Random(7)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(size[0] // 20, size[0] // 5)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(3))
    noise = Image.effect_noise(size, 24).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    buffer = io.BytesIO()
    if kind == "png":
        image.save(buffer, "PNG")
    else:
        image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


SECOND_MESSAGE = "涼しい夏を、三つの新しいスパークリングフレーバーで"


def optimized(data: bytes) -> None:
    from handlers.variants.render import render_all
    from handlers.variants.text import _run_length, measure

    measure.cache_clear()  # each product starts cold: no credit for layouts measured in an earlier run
    _run_length.cache_clear()
    render_all(data, MESSAGE, BRAND)


def further_locale(data: bytes) -> float:
    """The product rendered in English, then in Japanese: returns the CPU seconds of the Japanese locale alone
    (the framing and canvases are reused; only layout, drawing and encoding are paid again)."""
    from handlers.variants.render import prepare, render_locale
    from handlers.variants.text import _run_length, measure

    measure.cache_clear()
    _run_length.cache_clear()
    prepared = prepare(data)
    render_locale(prepared, MESSAGE, BRAND, "en-US")
    start = time.process_time()
    render_locale(prepared, SECOND_MESSAGE, BRAND, "ja-JP")
    return time.process_time() - start


def today(data: bytes) -> None:
    module = _today_module()
    module.measure.cache_clear()
    module.render_all(data, MESSAGE, BRAND)


# The renderer before framing, scripts and checks (issue 16): the last commit of main without them.
BEFORE_FRAMING = "1548d6b"


@functools.cache
def _today_module():
    """The earlier renderer: its whole `handlers` package (`git archive BEFORE_FRAMING`) in a temporary folder,
    imported first in this (fresh) process, so it runs with its own shared modules and fonts."""
    import importlib
    import importlib.util
    import tarfile

    folder = Path(tempfile.mkdtemp(prefix="today-variants-"))
    archive = subprocess.run(
        ["git", "archive", BEFORE_FRAMING, "handlers"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    assert "handlers" not in sys.modules, "the earlier handlers must be the first imported in this process"
    # That folder's `handlers` package is this process's `handlers`: its submodules load from there.
    package = importlib.util.spec_from_file_location(
        "handlers", folder / "handlers" / "__init__.py", submodule_search_locations=[str(folder / "handlers")]
    )
    assert package is not None and package.loader is not None
    sys.modules["handlers"] = module = importlib.util.module_from_spec(package)
    package.loader.exec_module(module)
    return importlib.import_module("handlers.variants.render")


FONT_FILE = ROOT / "handlers" / "shared" / "fonts" / "DejaVuSans-Bold.ttf"
SIZES = [(1080, 1080), (1080, 1920), (1200, 630), (1200, 675), (1200, 627)]  # CONTRACT §5


def baseline(data: bytes) -> None:
    from PIL import Image, ImageDraw, ImageFont

    source = Image.open(io.BytesIO(data)).convert("RGB")
    font = ImageFont.truetype(str(FONT_FILE), 48)
    for width, height in SIZES:
        scale = max(width / source.width, height / source.height)
        resized = source.resize((round(source.width * scale), round(source.height * scale)), Image.LANCZOS)
        left, top = (resized.width - width) // 2, (resized.height - height) // 2
        frame = resized.crop((left, top, left + width, top + height))
        draw = ImageDraw.Draw(frame)
        draw.rectangle((40, height - 160, width - 40, height - 40), fill=(10, 132, 255))
        draw.text((60, height - 130), MESSAGE, font=font, fill=(0, 0, 0))
        frame.save(io.BytesIO(), "JPEG", quality=90)


def codec_floor(data: bytes) -> None:
    from PIL import Image

    Image.open(io.BytesIO(data)).load()
    for size in SIZES:
        Image.new("RGB", size, (120, 90, 60)).save(io.BytesIO(), "JPEG", quality=86)


CASES = {
    "optimized": optimized,
    "further locale": further_locale,
    "today (main)": today,
    "baseline": baseline,
    "codec floor": codec_floor,
}


def run_case(case: str, source: Path, runs: int) -> dict:
    """In this (fresh) process: median CPU ms of `runs` renders, and the process's peak RSS."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    data = source.read_bytes()
    CASES[case](data)  # warm-up: imports, font cache
    times = []
    for _ in range(runs):
        start = time.process_time()
        own = CASES[case](data)  # a case may time its own part
        times.append((own if own is not None else time.process_time() - start) * 1000)
    return {"cpu_ms": statistics.median(times), "peak_rss_mb": peak_rss_kb() / 1024}


def peak_rss_kb() -> int:
    # VmHWM, not getrusage: Linux carries ru_maxrss across exec, so a child would report its parent's peak.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--case")
    parser.add_argument("--source", type=Path)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.source, args.runs)))
        return
    folder = Path(tempfile.mkdtemp(prefix="variants-bench-"))

    print(f"five variants per product, median of {args.runs} runs, one core, fresh process per case\n")
    print(f"{'source':<22} {'case':<13} {'CPU ms':>8} {'peak RSS MB':>12} {'vs optimized':>13}")
    for kind, label in (("png", "1024x1024 PNG"), ("jpeg", "4000x3000 JPEG"), ("sample", "sample product shot")):
        source = folder / f"source.{kind}"
        source.write_bytes(SAMPLE.read_bytes() if kind == "sample" else make_source(kind))
        results = {}
        for case in CASES:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.variants_bench",
                    "--case",
                    case,
                    "--source",
                    str(source),
                    "--runs",
                    str(args.runs),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            results[case] = json.loads(out.stdout.strip().splitlines()[-1])
        for case, result in results.items():
            ratio = result["cpu_ms"] / results["optimized"]["cpu_ms"]
            print(f"{label:<22} {case:<13} {result['cpu_ms']:>8.0f} {result['peak_rss_mb']:>12.0f} {ratio:>12.2f}x")
        one = results["optimized"]["cpu_ms"]
        further = results["further locale"]["cpu_ms"]
        print(
            f"{'':<22} optimized / today: {one / results['today (main)']['cpu_ms']:.2f}x (target <= 1.3x); "
            f"a further locale: {further:.0f} ms = {further / one:.2f}x the first (target <= 0.4x); "
            f"baseline / optimized: {results['baseline']['cpu_ms'] / one:.2f}x\n"
        )


if __name__ == "__main__":
    main()
