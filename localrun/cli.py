"""`python -m localrun` (`make local`): options, progress bars, and the summary at the end."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from localrun.progress import Progress
from localrun.run import SAMPLE_BRIEF, RunOptions, RunResult, run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make local  (python -m localrun)",
        description="Run the whole pipeline on this machine against an embedded AWS emulator (moto on 127.0.0.1): "
        "upload briefs, drive the real parser, generator and variants functions, and download each "
        "campaign with its gallery.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--brief",
        type=Path,
        action="append",
        default=[],
        help="a brief JSON to upload (repeatable; default: samples/briefs/summer-splash.json)",
    )
    group.add_argument("--briefs", type=Path, help="a folder: upload every *.json in it")
    parser.add_argument("--workers", type=int, default=4, help="concurrent function runs (default 4)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="where campaigns land (default ./out)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers is {args.workers}: expected 1 or more")
    if args.briefs is not None:
        if not args.briefs.is_dir():
            parser.error(f"--briefs {args.briefs}: not a folder")
        args.files = sorted(args.briefs.glob("*.json"))
        if not args.files:
            parser.error(f"--briefs {args.briefs}: no *.json files in it")
    else:
        args.files = args.brief or [SAMPLE_BRIEF]
        for path in args.files:
            if not path.is_file():
                parser.error(f"--brief {path}: no such file")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    log_path = args.out / "local-run.log"
    print(
        f"Local run: {len(args.files)} brief(s), {args.workers} workers; function logs in {log_path}", file=sys.stderr
    )
    with log_path.open("w", encoding="utf-8") as log:
        result = run(
            RunOptions(
                briefs=args.files,
                out=args.out,
                workers=args.workers,
                log_stream=log,
                progress=Progress(show=not args.quiet),
            )
        )
    print(summary(result, args.out))
    return 0 if result.ok else 1


def summary(result: RunResult, out: Path) -> str:
    products = [p for m in result.campaigns.values() for p in m["products"]]
    variants = sum(len(p.get("variants") or []) for p in products)
    failed_products = [p for p in products if p.get("status") != "complete"]
    by_status: dict[str, int] = {}
    for manifest in result.campaigns.values():
        by_status[manifest["status"]] = by_status.get(manifest["status"], 0) + 1
    lines = [
        "",
        f"Campaigns   {len(result.campaigns)} from {result.uploads} upload(s): "
        + (", ".join(f"{n} {status}" for status, n in sorted(by_status.items())) or "none"),
        f"Rejected    {len(result.rejections)} brief(s)"
        + "".join(f"\n              {_rel(out / key[len('output/') :])}" for key in sorted(result.rejections)),
        f"Products    {len(products)} ({len(failed_products)} not complete)",
        f"Variants    {variants}",
        f"Failures    {len(result.dlq_messages)} message(s) in the DLQ, "
        f"{len(result.failed_invocations)} failed invocation(s)" + (", TIMED OUT" if result.timed_out else ""),
        f"Wall time   {result.wall_seconds:.1f} s",
    ]
    for product in failed_products:
        error = product.get("error") or {}
        lines.append(f"  ! {product['name']}: {product['status']} {error.get('code', '')} {error.get('message', '')}")
    review = [
        (product, variant)
        for product in products
        for variant in product.get("variants") or []
        if (variant.get("check") or {}).get("needs_review")
    ]
    lines.append(f"Review      {len(review)} variant(s) need a look" + (":" if review else ""))
    for product, variant in review:
        name = f"{variant['locale']}/{variant['name']}" if variant.get("locale") else variant["name"]
        lines.append(f"  ? {product['name']} {name}: {'; '.join(variant['check']['reasons'])}")
    for record in result.failed_invocations:
        lines.append(
            f"  ! failed invocation {record['requestPayload']}: "
            f"{record['responsePayload']['errorType']}: {record['responsePayload']['errorMessage']}"
        )
    for _campaign_id, page in sorted(result.galleries.items()):
        lines.append(f"Gallery     {_rel(page)}")
    lines.append("Done." if result.ok else "Finished with failures (exit status 1).")
    return "\n".join(lines)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
