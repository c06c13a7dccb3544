"""Submit a brief to a deployed stack, wait for its campaign to settle, and download it to ./out/.

    .venv/bin/python -m tools.submit samples/briefs/summer-splash.json            # bucket from the stack
    .venv/bin/python -m tools.submit my-brief.json --bucket my-bucket --stack prod

The bucket is `pulumi stack output bucket_name` unless --bucket is given. The campaign id is computed
exactly as the parser computes it (campaign name + the upload's identity: bucket, key and version), so the
command knows which manifest to wait for; a refused brief is reported from `output/rejected/`.
Exit status: 0 complete, 1 partial/failed/rejected or an error (said in one line on stderr), 2 timed out.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from handlers.parser.campaign import campaign_id
from handlers.parser.events import Upload
from handlers.shared.bucket_layout import BRIEFS_PREFIX, manifest_key, rejection_report_key
from handlers.shared.manifest import SETTLED, SETTLED_CAMPAIGN
from localrun import outputs


def stack_bucket(stack: str | None) -> str:
    command = ["pulumi", "stack", "output", "bucket_name"] + (["--stack", stack] if stack else [])
    try:
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
    except FileNotFoundError:
        raise SystemExit("the pulumi CLI is not installed: pass the bucket with --bucket") from None
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"`{' '.join(command)}` failed: {error.stderr.strip()} (or pass --bucket)") from None


def expected_campaign_id(body: bytes, bucket: str, key: str, version_id: str | None, etag: str | None) -> str | None:
    """The id the parser will give this upload; None if the brief has no usable campaign_name."""
    try:
        name = json.loads(body).get("campaign_name")
    except (ValueError, AttributeError):
        return None
    if not isinstance(name, str) or not name.strip():
        return None
    upload = Upload(
        bucket=bucket,
        key=key,
        version_id=version_id,
        etag=(etag or "").strip('"') or None,
        size=len(body),
        sequencer=None,
    )
    return campaign_id(name, upload.identity)


def submit(
    s3: Any,
    bucket: str,
    brief: Path,
    out: Path,
    *,
    timeout: float = 900,
    interval: float = 5,
    sleep: Callable[[float], None] = time.sleep,
    say: Callable[[str], None] = print,
) -> int:
    body = brief.read_bytes()
    key = BRIEFS_PREFIX + brief.name
    response = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    version_id = response.get("VersionId")
    cid = expected_campaign_id(body, bucket, key, version_id, response.get("ETag"))
    say(
        f"uploaded s3://{bucket}/{key}"
        + (f" (version {version_id})" if version_id else "")
        + (f"; waiting for campaign {cid}" if cid else "; waiting for the parser's verdict")
    )
    report = rejection_report_key(key)
    deadline = time.monotonic() + timeout
    last_status = None
    while time.monotonic() < deadline:
        manifest = _read(s3, bucket, manifest_key(cid)) if cid else None
        if manifest is not None:
            status = manifest["status"]
            done = sum(1 for p in manifest["products"] if p["status"] in SETTLED)
            if status != last_status or status == "processing":
                say(f"{cid}: {status}, {done}/{manifest['expected_products']} products settled")
            last_status = status
            if status in SETTLED_CAMPAIGN:
                page = outputs.download_campaign(s3, bucket, cid, out)
                say(f"downloaded to {page.parent}; gallery: {page}")
                return 0 if status == "complete" else 1
        else:
            rejection = _read(s3, bucket, report)
            if rejection is not None and rejection.get("version_id") == version_id:
                path = outputs.download_report(s3, bucket, report, out)
                say(f"brief rejected ({rejection['violation_count']} violation(s)); report: {path}")
                for violation in rejection["violations"]:
                    say(f"  {violation['path']}: {violation['message']}")
                return 1
        sleep(interval)
    say(f"timed out after {timeout:.0f} s; the campaign may still finish (look under s3://{bucket}/output/)")
    return 2


def _read(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404", "AccessDenied"):
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.submit", description=__doc__.split("\n\n")[0])
    parser.add_argument("brief", type=Path, help="the brief JSON to upload")
    parser.add_argument("--bucket", help="the stack's bucket (default: `pulumi stack output bucket_name`)")
    parser.add_argument("--stack", help="the Pulumi stack to read the bucket from (default: the selected one)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="where the campaign lands (default ./out)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the campaign (default 900)")
    args = parser.parse_args(argv)
    if not args.brief.is_file():
        return _say_error(f"{args.brief}: no such file")
    if args.out.exists() and not args.out.is_dir():
        return _say_error(f"--out {args.out}: is a file; give a folder (it is created if missing)")
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = args.bucket or stack_bucket(args.stack)
    try:
        return submit(boto3.client("s3"), bucket, args.brief, args.out, timeout=args.timeout)
    except (BotoCoreError, ClientError, OSError) as error:
        return _say_error(expected_error(error, bucket))


def expected_error(error: Exception, bucket: str | None) -> str:
    """An AWS or machine error a person can act on, in one line."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError

    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found: run `aws configure` (or `aws sso login`), or set AWS_PROFILE"
    if isinstance(error, NoRegionError):
        return "no AWS region set: set AWS_REGION (or AWS_DEFAULT_REGION), or a region in your AWS profile"
    if isinstance(error, EndpointConnectionError):
        return f"cannot reach AWS ({error.kwargs.get('endpoint_url', 'the endpoint')}): check the network"
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            return f"bucket {bucket} does not exist here: check --bucket, the stack, and AWS_REGION"
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
            return f"AWS refused access to bucket {bucket} ({code}): check your credentials and their permissions"
        return f"AWS answered {code}: {error.response.get('Error', {}).get('Message', '')}"
    if isinstance(error, OSError):
        return f"{getattr(error, 'filename', None) or 'a file'}: {error.strerror or error}"
    return f"{type(error).__name__}: {error}"


def _say_error(message: str) -> int:
    print(f"tools.submit: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
