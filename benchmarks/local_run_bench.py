"""Campaigns per minute through the local run, and S3 requests per rendered product.

    .venv/bin/python -m benchmarks.local_run_bench [--workers 4] [--briefs 20 60 120]

Briefs of 3 products each (1 existing asset, 2 generated), everything as `make local` runs it (the dev stack's
queue settings, including its 5 s batching window), with the offline image backend. The variants function's S3
requests are counted on its client, per operation, and divided by its invocations. The original service
quotes 15 campaigns per minute on Lambda.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from localrun.run import RunOptions, run

LAMBDA_REFERENCE = 15.0  # campaigns per minute, the original service on Lambda


def brief(number: int) -> dict:
    return {
        "campaign_name": f"Benchmark {number}",
        "campaign_message": "Fresh from the benchmark",
        "brand_colors": ["#0A84FF", "#FFFFFF"],
        "products": [
            {"name": f"Citrus {number}", "description": "lemon and lime", "existing_assets": "acme/citrus/"},
            {"name": f"Berry {number}", "description": "raspberry"},
            {"name": f"Mango {number}", "description": "mango and passion fruit"},
        ],
    }


class RequestCounter:
    """S3 requests of one function's client, per operation (thread-safe: the local run invokes on workers)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def prepare(self, service: str, module: Any) -> None:
        if service == self.service:
            module.service().s3.meta.events.register("before-call.s3", self.count)

    def count(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.counts[model.name] += 1


def measure(briefs: int, workers: int) -> None:
    counter = RequestCounter("variants")
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number in range(briefs):
            path = Path(folder) / f"bench-{number:03d}.json"
            path.write_text(json.dumps(brief(number)))
            paths.append(path)
        options = RunOptions(
            briefs=paths, out=Path(folder) / "out", workers=workers, log_stream=io.StringIO(),
            prepare_function=counter.prepare,
        )  # fmt: skip
        result = run(options)
    complete = sum(1 for m in result.campaigns.values() if m["status"] == "complete")
    per_minute = complete / result.wall_seconds * 60
    invocations = result.invocations.get("variants", 0)
    requests = sum(counter.counts.values())
    variants = sum(len(p["variants"]) for m in result.campaigns.values() for p in m["products"])
    print(f"{briefs} briefs: {complete}/{briefs} complete, {3 * briefs} products, {variants} variants, "
          f"{result.wall_seconds:.1f} s wall")  # fmt: skip
    print(f"  campaigns/minute   {per_minute:.1f} ({per_minute / LAMBDA_REFERENCE:.2f}x the 15/min on Lambda)")
    print(
        f"  S3 requests per variants invocation {requests / max(1, invocations):.2f} ({invocations} invocations: "
        + ", ".join(f"{name} {n / max(1, invocations):.2f}" for name, n in counter.counts.most_common())
        + ")"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--briefs", type=int, nargs="+", default=[20, 60, 120])
    args = parser.parse_args()
    print(f"machine {os.cpu_count()} CPUs, {args.workers} workers")
    for briefs in args.briefs:
        measure(briefs, args.workers)


if __name__ == "__main__":
    main()
