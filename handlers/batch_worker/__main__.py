"""Batch job entry point: `python -m handlers.batch_worker <campaign-id>` (the job definition passes
Ref::campaign_id)."""

import logging
import os
import sys

import boto3

from handlers.batch_worker.rerender import CampaignNotFound, rerender
from handlers.shared import worker_exit_codes as exit_codes
from handlers.shared.environment import LOG_LEVEL, S3_BUCKET_NAME
from handlers.shared.invoke import invoke_async
from handlers.shared.manifest import ManifestStore


def main(argv: list[str]) -> int:
    logging.basicConfig(level=os.environ.get(LOG_LEVEL, "INFO"), format="%(levelname)s %(message)s")
    if len(argv) != 1 or not argv[0] or argv[0] == "none":
        print("usage: python -m handlers.batch_worker <campaign-id>", file=sys.stderr)
        return exit_codes.USAGE
    s3 = boto3.client("s3")
    try:
        indexes = rerender(ManifestStore(s3, os.environ[S3_BUCKET_NAME]), argv[0], invoke_async)
    except CampaignNotFound as missing:
        print(f"{missing}: nothing to re-render (check the campaign id)", file=sys.stderr)
        return exit_codes.MISSING_CAMPAIGN
    logging.info("re-render of campaign %s started for products %s", argv[0], indexes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
