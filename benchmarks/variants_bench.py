"""Variants rendering: CPU time, peak memory and quality per product, against honest references.

    .venv/bin/python -m benchmarks.variants_bench [--rounds 7] [--runs 3] [--encoders]

For three sources (a 1024x1024 PNG, as the image model returns, and a 4000x3000 JPEG, as a photographer's
existing asset, both full-bleed pictures with no product to frame; and the sample's product shot, framed with
its canvas extended) it renders the five variants of one product several ways:
- optimized: the variants function's code, one locale (decode, product detection, framing, text placement,
  checks, encode);
- further locale: the same product rendered in a second language after the first (the framing and canvases
  are reused): only the second locale's CPU is counted;
- today (main): the renderer issue 16 replaced (centre crop, bottom band, OpenCV enlargement), from main before
  the creatives merge (BEFORE_FRAMING, read with `git archive`), so a change is measured beside what it replaces;
- baseline: the straightforward Pillow approach the original service took: per size, LANCZOS resize of the full
  image to cover, centre crop, an RGBA overlay with a translucent band and the wrapped message composited over
  it, JPEG q90;
- codec floor: decode the source and encode the five real frames (the baseline's crops, made beforehand) with
  the renderer's encoder settings: what any renderer must pay with these codecs.
Each round runs every case in a fresh process pinned to one core, with the variants image's environment (its
Dockerfile's ENV: glibc allocator settings, so cases differ only by their code), in a shuffled order (rounds
interleave, so load on a shared machine falls on every case alike); a case's figure is the median over rounds of its
per-process median, with the spread (lowest-highest round). A ratio between two cases is the median of that ratio
within each round (the round's cases run back to back, under one load), with its spread. Peak RSS is the process's
own (VmHWM). Quality: PSNR of the optimized variants against a LANCZOS resample of the same framing from the fully
decoded source, over the picture (the message's block left out), and of the baseline's against its own LANCZOS frame
(its q90 encoding).
`first call / steady`: the first render in a fresh process (after its imports) over the steady median, and the
same in user CPU alone (a first call's system time is the heap growing once, not an import).
`--encoders` also prints encode time and PSNR per JPEG setting for the optimized frames.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import math
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


def _cold() -> None:
    """Each product starts cold: no credit for text measured, lines broken or ordered in an earlier run."""
    from handlers.variants import bidi, linebreak, text

    for cached in (text.measure, text._run_length, linebreak.opportunities, linebreak.segments, linebreak.syllables):
        cached.cache_clear()
    bidi.visual.cache_clear()


def optimized(data: bytes) -> None:
    from handlers.variants.render import render_all

    _cold()
    render_all(data, MESSAGE, BRAND)


def further_locale(data: bytes) -> float:
    """The product rendered in English, then in Japanese: returns the CPU seconds of the Japanese locale alone
    (the framing and canvases are reused; only layout, drawing and encoding are paid again)."""
    from handlers.variants.render import prepare, render_locale

    _cold()
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


def _cover(source, size, resample):
    """The centred cover crop of `source` at `size` (the original service's framing)."""
    width, height = size
    scale = max(width / source.width, height / source.height)
    resized = source.resize((round(source.width * scale), round(source.height * scale)), resample)
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))


def _wrapped(message: str, font, width: float) -> list[str]:
    lines: list[str] = []
    for word in message.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def baseline_frames(data: bytes) -> list[tuple[object, object]]:
    """Per size: (the frame with the message composited, the frame without it)."""
    from PIL import Image, ImageDraw, ImageFont

    source = Image.open(io.BytesIO(data)).convert("RGB")
    font = ImageFont.truetype(str(FONT_FILE), 48)
    frames = []
    for width, height in SIZES:
        frame = _cover(source, (width, height), Image.Resampling.LANCZOS).convert("RGBA")
        overlay = Image.new("RGBA", frame.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        lines = _wrapped(MESSAGE, font, width - 120)
        top = height - 60 - 60 * len(lines) - 40
        draw.rectangle((40, top, width - 40, height - 40), fill=(10, 132, 255, 200))
        for row, line in enumerate(lines):
            draw.text((60, top + 20 + 60 * row), line, font=font, fill=(255, 255, 255, 255))
        frames.append((Image.alpha_composite(frame, overlay).convert("RGB"), frame.convert("RGB")))
    return frames


def baseline(data: bytes) -> None:
    for composited, _ in baseline_frames(data):
        composited.save(io.BytesIO(), "JPEG", quality=90)


@functools.cache
def _real_frames(data: bytes) -> list:
    return [plain for _, plain in baseline_frames(data)]


def codec_floor(data: bytes) -> float:
    """Decode the source; encode the five real frames (made beforehand, not timed) as the renderer does."""
    from PIL import Image

    from handlers.variants.jpeg_rows import encode

    frames = _real_frames(data)
    start = time.process_time()
    Image.open(io.BytesIO(data)).load()
    for frame in frames:
        encode(frame)
    return time.process_time() - start


CASES = {
    "optimized": optimized,
    "further locale": further_locale,
    "today (main)": today,
    "baseline": baseline,
    "codec floor": codec_floor,
}


def run_case(case: str, source: Path, runs: int) -> dict:
    """In this (fresh) process: median CPU ms of `runs` renders, the first render's, and the peak RSS."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    data = source.read_bytes()
    if case == "optimized":
        import handlers.variants.render  # noqa: F401  (imports are the cold start's, not the first call's)
    start, user = time.process_time(), _user_seconds()
    CASES[case](data)  # the first call: lazy imports, fonts, caches, and the heap growing to a render's size
    first, first_user = (time.process_time() - start) * 1000, (_user_seconds() - user) * 1000
    times, user_times = [], []
    for _ in range(runs):
        start, user = time.process_time(), _user_seconds()
        own = CASES[case](data)  # a case may time its own part
        times.append((own if own is not None else time.process_time() - start) * 1000)
        user_times.append((_user_seconds() - user) * 1000)
    return {
        "cpu_ms": statistics.median(times),
        "first_ms": first,
        "first_user_ms": first_user,
        "user_ms": statistics.median(user_times),
        "peak_rss_mb": peak_rss_kb() / 1024,
    }


def _user_seconds() -> float:
    """User CPU alone: what imports and code cost, without the kernel's share (page faults)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_utime


def peak_rss_kb() -> int:
    # VmHWM, not getrusage: Linux carries ru_maxrss across exec, so a child would report its parent's peak.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _psnr(sse: float, count: int) -> float:
    return 99.0 if sse == 0 else 10 * math.log10(255**2 * count / sse)


def _error(picture, reference, mask) -> tuple[float, int]:
    """Sum of squared errors over the mask's pixels (every channel), and the count of values."""
    from PIL import ImageChops

    histogram = ImageChops.difference(picture, reference).histogram(mask)
    return sum(n * (i % 256) ** 2 for i, n in enumerate(histogram)), 3 * mask.histogram()[255]


def quality(source: Path) -> dict:
    """PSNR (dB) of the optimized variants and of the baseline's frames against LANCZOS references."""
    from PIL import Image, ImageDraw

    from handlers.variants.canvas import FEATHER_RATIO, _source_box
    from handlers.variants.render import prepare, render_locale
    from handlers.variants.sources import decode

    data = source.read_bytes()
    full = decode(data).image  # no draft: every pixel of the file
    prepared = prepare(data)
    ratio = full.width / prepared.source_size[0]
    totals = {"optimized_db": [0.0, 0], "resampling_db": [0.0, 0], "encoding_db": [0.0, 0]}
    # last=False: the text goes on copies, so each canvas stays text-free to be compared below.
    for variant in render_locale(prepared, MESSAGE, BRAND, last=False):
        covered = variant.framing.covered(prepared.source_size)
        crop = (covered.left, covered.top, covered.right, covered.bottom)
        box = tuple(edge * ratio for edge in _source_box(prepared.source_size, variant.framing))
        reference = full.resize((covered.width, covered.height), Image.Resampling.LANCZOS, box=box)
        picture = Image.open(io.BytesIO(variant.jpeg)).convert("RGB").crop(crop)
        canvas = prepared.canvases[variant.name].crop(crop)
        # Left out: the message's block, and the seam where an extension fades into the picture (canvas.py).
        mask = Image.new("L", picture.size, 0)
        seam = max(2, round(min(variant.width, variant.height) * FEATHER_RATIO)) + 1
        inside = [seam if edge else 0 for edge in (covered.left, covered.top)]
        inside += [picture.width - (seam if covered.right < variant.width else 0)]
        inside += [picture.height - (seam if covered.bottom < variant.height else 0)]
        mask.paste(255, tuple(inside))
        band = variant.layout.band
        left, top = band.left - covered.left, band.top - covered.top
        ImageDraw.Draw(mask).rectangle((left, top, left + band.width - 1, top + band.height - 1), fill=0)
        for key, (a, b) in {"optimized_db": (picture, reference), "resampling_db": (canvas, reference),
                            "encoding_db": (picture, canvas)}.items():  # fmt: skip
            error = _error(a, b, mask)
            totals[key][0] += error[0]
            totals[key][1] += int(error[1])
    base_sse, base_count = 0.0, 0
    for composited, plain in baseline_frames(data):
        buffer = io.BytesIO()
        composited.save(buffer, "JPEG", quality=90)
        decoded = Image.open(buffer).convert("RGB")
        mask = Image.new("L", plain.size, 255)
        ImageDraw.Draw(mask).rectangle((0, plain.height * 0.55, plain.width, plain.height), fill=0)
        error = _error(decoded, plain, mask)
        base_sse, base_count = base_sse + error[0], base_count + error[1]
    return {key: _psnr(sse, int(count)) for key, (sse, count) in totals.items()} | {
        "baseline_db": _psnr(base_sse, base_count)
    }


def _encoded_error(frames: list, quality_setting: int, subsampling: str, optimize: bool) -> tuple[float, float, float]:
    """(PSNR dB of the frames once encoded, encode CPU ms, KB)."""
    from PIL import Image

    encoded, start = [], time.process_time()
    for frame in frames:
        buffer = io.BytesIO()
        frame.save(buffer, "JPEG", quality=quality_setting, subsampling=subsampling, optimize=optimize)
        encoded.append(buffer.getvalue())
    ms = (time.process_time() - start) * 1000
    errors = [
        _error(Image.open(io.BytesIO(jpeg)).convert("RGB"), frame, Image.new("L", frame.size, 255))
        for jpeg, frame in zip(encoded, frames, strict=True)
    ]
    return _psnr(sum(e[0] for e in errors), sum(e[1] for e in errors)), ms, sum(len(j) for j in encoded) / 1024


def encoders(source: Path) -> list[str]:
    """Encode time, PSNR and size of the optimized frames (before their text) per JPEG setting."""
    from handlers.variants.render import prepare

    frames = list(prepare(source.read_bytes()).canvases.values())
    rows = []
    for setting in ((80, "4:2:0", False), (86, "4:2:0", False), (86, "4:2:0", True), (90, "4:2:0", False),
                    (86, "4:4:4", False)):  # fmt: skip
        db, ms, kb = _encoded_error(frames, *setting)
        rows.append(
            f"q{setting[0]} {setting[1]}{' optimize' if setting[2] else ''}: {ms:.0f} ms, {db:.1f} dB, {kb:.0f} KB"
        )
    return rows


@functools.cache
def image_environment() -> dict[str, str]:
    """The variants image's ENV (its allocator settings): every case runs in it, so cases differ only by code."""
    from tools.image_contents import dockerfile_of

    return dict(dockerfile_of("variants").environment)


def _child(*arguments: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.variants_bench", *arguments], cwd=ROOT, capture_output=True, text=True,
        check=True, env=os.environ | image_environment(),
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _paired(cases: list[dict], others: list[dict]) -> str:
    """The median of the ratio within each round (the cases of a round run back to back, under one load), with
    its spread."""
    ratios = [case["cpu_ms"] / other["cpu_ms"] for case, other in zip(cases, others, strict=True)]
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def _spread(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="renders per process (after the first)")
    parser.add_argument("--encoders", action="store_true")
    parser.add_argument("--case")
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--source", type=Path)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.source, args.runs)))
        return
    if args.quality:
        print(json.dumps(quality(args.source) | ({"encoders": encoders(args.source)} if args.encoders else {})))
        return
    folder = Path(tempfile.mkdtemp(prefix="variants-bench-"))
    sources = {}
    for kind, label in (("png", "1024x1024 PNG"), ("jpeg", "4000x3000 JPEG"), ("sample", "sample product shot")):
        sources[label] = folder / f"source.{kind}"
        sources[label].write_bytes(SAMPLE.read_bytes() if kind == "sample" else make_source(kind))
    results: dict[tuple[str, str], list[dict]] = {}
    rng = random.Random(20)
    for _ in range(args.rounds):
        for label, path in sources.items():
            for case in rng.sample(list(CASES), len(CASES)):
                result = _child("--case", case, "--source", str(path), "--runs", str(args.runs))
                results.setdefault((label, case), []).append(result)

    print(f"five variants per product, one core; median of {args.rounds} interleaved rounds (fresh processes, "
          f"{args.runs} renders each after the first), spread = lowest-highest round; ratios: the median of the "
          "ratio within each round, (lowest-highest)")  # fmt: skip
    settings = " ".join(f"{name}={value}" for name, value in image_environment().items())
    print(f"every case runs in the variants image's environment: {settings}\n")
    print(f"{'source':<20} {'case':<15} {'CPU ms':>7} {'spread':>10} {'peak RSS MB':>12}")
    for label, path in sources.items():
        cpu = {case: statistics.median(r["cpu_ms"] for r in results[(label, case)]) for case in CASES}
        for case in CASES:
            rounds = results[(label, case)]
            rss = statistics.median(r["peak_rss_mb"] for r in rounds)
            print(f"{label:<20} {case:<15} {cpu[case]:>7.0f} {_spread([r['cpu_ms'] for r in rounds]):>10} {rss:>12.0f}")
        rounds = results[(label, "optimized")]
        one, first = cpu["optimized"], statistics.median(r["first_ms"] for r in rounds)
        first_user = statistics.median(r["first_user_ms"] / r["user_ms"] for r in rounds)
        scores = _child("--quality", "--source", str(path), *(["--encoders"] if args.encoders else []))
        of = {case: results[(label, case)] for case in CASES}
        print(
            f"{'':<20} issue 20: optimized / codec floor {_paired(rounds, of['codec floor'])} (target <= 2); "
            f"baseline / optimized {_paired(of['baseline'], rounds)} (target >= 5)"
        )
        print(
            f"{'':<20} issue 16: optimized / today {_paired(rounds, of['today (main)'])} (target <= 1.3); "
            f"a further locale {_paired(of['further locale'], rounds)} the first (target <= 0.4)"
        )
        print(
            f"{'':<20} quality (PSNR vs a LANCZOS reference of the same framing): optimized "
            f"{scores['optimized_db']:.1f} dB (resampling alone {scores['resampling_db']:.1f} dB, JPEG encoding "
            f"alone {scores['encoding_db']:.1f} dB); the baseline's q90 encoding {scores['baseline_db']:.1f} dB"
        )
        print(
            f"{'':<20} first call / steady {first / one:.2f}x (target <= 1.2); in user CPU alone {first_user:.2f}x "
            "(imports and code; the rest is the kernel faulting the heap in once as it grows to a render's size)"
        )
        for row in scores.get("encoders", []):
            print(f"{'':<20} encoder {row}")
        print()


if __name__ == "__main__":
    main()
