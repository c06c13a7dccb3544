"""`python -m localrun` (`make local`): options, progress bars, and the summary at the end."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TextIO

from handlers.shared.bucket_layout import OUTPUT_PREFIX
from localrun import outputs
from localrun.progress import Progress
from localrun.run import SAMPLE_BRIEF, RunOptions, RunResult, run


class UsageError(Exception):
    """A mistake in the command line or its files: one line on stderr, exit status 2."""


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
    group.add_argument(
        "--briefs", type=Path, help="a folder: upload every file in it (the parser answers each, .json or not)"
    )
    parser.add_argument(
        "--assets",
        type=Path,
        help="a folder of your product images, uploaded under existing-assets/ (beside the samples)",
    )
    parser.add_argument("--workers", type=int, default=4, help="concurrent function runs (default 4)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="where campaigns land (default ./out)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep the pipeline running and serve the campaign API on 127.0.0.1 (prints its URL and a local "
        "token); briefs come in through the API. Ctrl-C stops",
    )
    parser.add_argument("--port", type=int, default=8080, help="the API's port with --serve (default 8080; 0: any)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        raise UsageError(f"--workers is {args.workers}: expected 1 or more")
    if args.assets is not None and not args.assets.is_dir():
        raise UsageError(f"--assets {args.assets}: not a folder")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out}: is a file; give a folder (it is created if missing)")
    if args.briefs is not None:
        if not args.briefs.is_dir():
            raise UsageError(f"--briefs {args.briefs}: not a folder")
        args.files = sorted(p for p in args.briefs.iterdir() if p.is_file() and not p.name.startswith("."))
        if not args.files:
            raise UsageError(f"--briefs {args.briefs}: the folder has no files to upload")
    else:
        args.files = args.brief or [SAMPLE_BRIEF]
        for path in args.files:
            if not path.is_file():
                raise UsageError(f"--brief {path}: no such file")
    return args


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        args.out.mkdir(parents=True, exist_ok=True)
        log = (args.out / "local-run.log").open("w", encoding="utf-8")
    except UsageError as error:
        print(f"make local: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # --out not writable, a path through a file, a full disk
        print(f"make local: cannot use {error.filename}: {error.strerror or error}", file=sys.stderr)
        return 2
    if args.serve:
        with log:
            return serve_until_interrupted(args, log)
    print(
        f"Local run: {len(args.files)} upload(s), {args.workers} workers; function logs in {log.name}",
        file=sys.stderr,
    )
    with log:
        try:
            result = run(
                RunOptions(
                    briefs=args.files,
                    out=args.out,
                    workers=args.workers,
                    log_stream=log,
                    progress=Progress(show=not args.quiet),
                    assets=args.assets,
                )
            )
        except OSError as error:  # the emulator's port, the output folder: the machine, not the pipeline
            print(f"make local: the run could not go on: {error}", file=sys.stderr)
            return 1
    text = summary(result, args.out)
    print(text)
    outputs.point_latest(args.out, result.campaigns, result.rejections, text)
    return 0 if result.ok else 1


def serve_until_interrupted(args: argparse.Namespace, log: TextIO) -> int:
    from localrun.serve import banner, serving

    print(f"Local run serving the campaign API; function logs in {log.name}", file=sys.stderr)
    options = RunOptions(briefs=[], out=args.out, workers=args.workers, log_stream=log, assets=args.assets)
    try:
        with serving(options, args.port) as served:
            print(banner(served), flush=True)
            threading.Event().wait()  # until Ctrl-C
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
    except OSError as error:  # the port is taken, the emulator could not start
        print(f"make serve: the API could not be served: {error}", file=sys.stderr)
        return 1
    return 0


def summary(result: RunResult, out: Path) -> str:
    products = [p for m in result.campaigns.values() for p in m["products"]]
    variants = sum(len(p.get("variants") or []) for p in products)
    failed_products = [p for p in products if p.get("status") != "complete"]
    cancelled = sum(1 for p in failed_products if p.get("status") == "cancelled")
    substituted = [p for p in products if p.get("asset_substitution")]
    by_status: dict[str, int] = {}
    for manifest in result.campaigns.values():
        by_status[manifest["status"]] = by_status.get(manifest["status"], 0) + 1
    lines = [
        "",
        f"Campaigns   {len(result.campaigns)} from {result.uploads} upload(s): "
        + (", ".join(f"{n} {status}" for status, n in sorted(by_status.items())) or "none"),
        f"Rejected    {len(result.rejections)} upload(s)"
        + "".join(
            f"\n  x {report['brief_key'].rsplit('/', 1)[-1]}: {_first_reason(report)}"
            f"\n      report: {_rel(out / key.removeprefix(OUTPUT_PREFIX))}"
            for key, report in sorted(result.rejections.items())
        ),
        f"Products    {len(products)} ({len(failed_products)} not complete"
        + (f", {cancelled} of them cancelled" if cancelled else "")
        + ", "
        f"{len(substituted)} generated instead of a missing existing asset)",
        f"Variants    {variants}",
        f"Failures    {len(result.dlq_messages)} message(s) in the DLQ, "
        f"{len(result.failed_invocations)} failed invocation(s)" + (", TIMED OUT" if result.timed_out else ""),
        f"Wall time   {result.wall_seconds:.1f} s",
    ]
    if result.swept.get("settled"):
        lines.insert(
            -1,
            f"Sweep       {result.swept['settled']} campaign(s) still open when nothing was left to run: "
            "their unfinished products settled failed",
        )
    for manifest in result.campaigns.values():
        for product in manifest["products"]:
            substitution = product.get("asset_substitution")
            if substitution:
                lines.append(
                    f"  ~ {manifest['campaign_name']} / {product['name']}: generated instead of the missing "
                    f'existing asset "{substitution["requested"]}" (the brief allows it: on_missing_asset)'
                )
            error = product.get("error") or {}
            if product.get("status") == "cancelled":
                lines.append(
                    f"  - {manifest['campaign_name']} / {product['name']}: cancelled, "
                    f"{error.get('message', 'the campaign was cancelled')}"
                )
            elif product.get("status") != "complete":
                lines.append(
                    f"  ! {manifest['campaign_name']} / {product['name']}: {product['status']} "
                    f"{error.get('code', '')}: {error.get('message', '')}"
                )
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
    lines.append(f"Latest      {_rel(out / outputs.LATEST / 'index.html')} (this run's campaigns on one page)")
    lines.append("Done." if result.ok else "Finished with failures (exit status 1).")
    return "\n".join(lines)


def _first_reason(report: dict) -> str:
    first = report["violations"][0]
    more = len(report["violations"]) - 1
    where = "" if first["path"] == "$" else f"{first['path']}: "
    return f"{where}{first['message']}" + (f" (and {more} more)" if more else "")


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
