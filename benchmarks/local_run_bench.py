"""Campaigns per minute through the local run: 20 briefs of 3 products each (1 existing asset, 2 generated).

    .venv/bin/python -m benchmarks.local_run_bench [--workers 4] [--briefs 20]

Everything as `make local` runs it (the dev stack's queue settings, including its 5 s batching window),
with the offline image backend. The original service quotes 15 campaigns per minute on Lambda.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--briefs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number in range(args.briefs):
            path = Path(folder) / f"bench-{number:02d}.json"
            path.write_text(json.dumps(brief(number)))
            paths.append(path)
        result = run(RunOptions(briefs=paths, out=Path(folder) / "out", workers=args.workers, log_stream=io.StringIO()))
    complete = sum(1 for m in result.campaigns.values() if m["status"] == "complete")
    per_minute = complete / result.wall_seconds * 60
    print(f"machine            {os.cpu_count()} CPUs, {args.workers} workers")
    print(
        f"campaigns          {complete}/{args.briefs} complete, {3 * args.briefs} products, "
        f"{sum(len(p['variants']) for m in result.campaigns.values() for p in m['products'])} variants"
    )
    print(f"wall time          {result.wall_seconds:.1f} s")
    print(f"campaigns/minute   {per_minute:.1f}")
    print(f"vs Lambda (15/min) {per_minute / LAMBDA_REFERENCE:.2f}x")


if __name__ == "__main__":
    main()
