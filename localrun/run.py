"""One local run: emulator up, resources as the dev stack, briefs uploaded, the pipeline driven to the end."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from components.function_environment import stuck_after_seconds
from components.settings import StackSettings
from handlers.shared.bucket_layout import ASSETS_PREFIX, BRIEFS_PREFIX
from handlers.shared.environment import GENERATOR_FUNCTION
from localrun import functions as function_loader
from localrun import outputs
from localrun.async_invoke import AsyncInvoker
from localrun.emulator import ACCOUNT_ID, Emulator, Resources, create_resources, local_settings
from localrun.event_source import QueueEventSource
from localrun.progress import Progress

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_BRIEF = ROOT / "samples" / "briefs" / "summer-splash.json"
EXISTING_ASSETS = ROOT / "samples" / "existing-assets"


@dataclass
class RunOptions:
    briefs: list[Path]  # uploaded in this order; the same file twice is two uploads (two versions)
    out: Path = Path("out")
    workers: int = 4
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    batching_window_seconds: float | None = None  # None: the stack's queue.batchingWindowSeconds
    receive_wait_seconds: int = 1  # long polling; short so the run ends promptly (the stack uses 20)
    retry_visibility_seconds: int = 1  # see event_source: a failed record reappears after this long
    async_retry_delays: tuple[float, ...] = (0.2, 0.5)
    timeout_seconds: float = 900
    progress: Progress | None = None
    log_stream: TextIO | None = None  # where the handlers' logs go (None: left as they are, stdout)
    assets: Path | None = None  # a folder of the user's own images, uploaded under existing-assets/
    # Test hooks: register botocore event handlers on the session the handlers' clients come from, and
    # adjust a function module once it is loaded.
    configure_session: Callable[[boto3.Session], None] | None = None
    prepare_function: Callable[[str, Any], None] | None = None


@dataclass
class RunResult:
    bucket: str
    campaigns: dict[str, dict[str, Any]]  # campaign id -> final manifest
    rejections: dict[str, dict[str, Any]]  # report key -> report
    dlq_messages: list[dict[str, Any]]
    failed_invocations: list[dict[str, Any]]  # Lambda on-failure records (those the settler took, and any left)
    galleries: dict[str, Path]
    uploads: int
    invocations: dict[str, int]
    parser_batches: int
    parser_records_failed: int  # records the parser reported failed (redelivered by SQS)
    async_retries: int  # asynchronous invocations that raised and were retried
    wall_seconds: float
    timed_out: bool = False
    swept: dict[str, Any] = field(default_factory=dict)  # the settler's closing sweep: open, closed, settled

    @property
    def failed_campaigns(self) -> list[str]:
        """Campaigns that did not deliver what was asked (a cancelled one did: someone asked it to stop)."""
        return [cid for cid, m in self.campaigns.items() if m.get("status") not in ("complete", "cancelled")]

    @property
    def ok(self) -> bool:
        return not (self.failed_campaigns or self.dlq_messages or self.failed_invocations or self.timed_out)


@dataclass
class Pipeline:
    """The local account and the functions, running: what a run or the served API works with."""

    settings: StackSettings
    emulator: Emulator
    resources: Resources
    platform: boto3.Session  # the platform's own session (the person uploading, Lambda's queues)
    s3: Any
    sqs: Any
    source: QueueEventSource
    invoker: AsyncInvoker
    progress: Progress
    loaded: function_loader.Loaded
    settler_source: QueueEventSource  # Lambda's on-failure records, through the failed-invocations queue
    settled_records: list[str] = field(default_factory=list)  # the records the settler took

    def drive(self, deadline: float) -> bool:
        """Poll until the queues are empty and no invocation is queued or running. False on timeout."""
        queues = [self.resources.queue_url, self.resources.failed_invocations_url]
        return _drive([self.source, self.settler_source], self.invoker, self.sqs, queues, deadline)

    def poll_once(self) -> int:
        """One poll of each event source (the briefs queue, the failed-invocations queue): records handled."""
        return self.source.poll_once() + self.settler_source.poll_once()


@contextmanager
def started(options: RunOptions) -> Iterator[Pipeline]:
    """Emulator up, resources as the dev stack, existing assets uploaded, functions loaded and the async invoker
    running; everything is put back as it was when the block ends."""
    progress = options.progress or Progress(show=False)
    settings = local_settings(options.settings_overrides)
    emulator = Emulator().start()
    invoker: AsyncInvoker | None = None
    loaded: function_loader.Loaded | None = None
    from handlers.shared.invoke import set_transport

    try:
        # Two sessions: the functions' (boto3's default one, which the handlers use, and which tests may
        # hook into) and the platform's own (the event source mapping, Lambda's async queue, the person
        # uploading and downloading), which retries patiently.
        boto3.setup_default_session()
        if options.configure_session:
            options.configure_session(boto3.DEFAULT_SESSION)
        platform = boto3.Session()
        patient = Config(retries={"mode": "standard", "max_attempts": 10})
        resources = create_resources(platform, settings)
        emulator.set_env(function_loader.environment(settings, resources.bucket, resources.dlq_url))
        s3, sqs = platform.client("s3", config=patient), platform.client("sqs", config=patient)
        upload_existing_assets(s3, resources.bucket)
        if options.assets is not None:
            upload_existing_assets(s3, resources.bucket, options.assets)

        loaded = function_loader.load(settings, options.log_stream, options.prepare_function)
        invoker = AsyncInvoker(
            loaded,
            workers=options.workers,
            max_retry_attempts=settings.async_invoke.max_retry_attempts,
            max_event_age_seconds=settings.async_invoke.max_event_age_seconds,
            retry_delays=options.async_retry_delays,
            on_failure=lambda record: _send(sqs, resources.failed_invocations_url, record),
            on_finished=lambda service, payload, outcome: _finished(progress, service, outcome),
        )
        accept = invoker.transport

        def transport(function_env: str, payload: dict[str, Any]) -> None:
            progress.expect("generate" if function_env == GENERATOR_FUNCTION else "render")
            accept(function_env, payload)

        set_transport(transport)
        invoker.start()
        source = QueueEventSource(
            sqs,
            resources.queue_url,
            resources.queue_arn,
            loaded["parser"],
            batch_size=settings.queue.batch_size,
            batching_window_seconds=(
                settings.queue.batching_window_seconds
                if options.batching_window_seconds is None
                else options.batching_window_seconds
            ),
            receive_wait_seconds=options.receive_wait_seconds,
            retry_visibility_seconds=options.retry_visibility_seconds,
            on_record_done=lambda body: progress.advance("parse", _uploads_in(body)),
        )
        # As in AWS, Lambda's on-failure records reach the settler through the failed-invocations queue.
        settled_records: list[str] = []
        settler_source = QueueEventSource(
            sqs,
            resources.failed_invocations_url,
            resources.failed_invocations_arn,
            loaded["settler"],
            batch_size=10,
            batching_window_seconds=0,
            receive_wait_seconds=0,
            retry_visibility_seconds=options.retry_visibility_seconds,
            on_record_done=settled_records.append,
        )
        yield Pipeline(
            settings,
            emulator,
            resources,
            platform,
            s3,
            sqs,
            source,
            invoker,
            progress,
            loaded,
            settler_source,
            settled_records,
        )
    finally:
        set_transport(None)
        if invoker is not None:
            invoker.stop()
        if loaded is not None:
            loaded.restore()
        boto3.DEFAULT_SESSION = None
        emulator.stop()
        progress.close()


def run(options: RunOptions) -> RunResult:
    started_at = time.monotonic()
    with started(options) as pipeline:
        s3, sqs, resources, invoker = pipeline.s3, pipeline.sqs, pipeline.resources, pipeline.invoker
        pipeline.progress.expect("parse", len(options.briefs))
        for path in options.briefs:
            s3.put_object(
                Bucket=resources.bucket,
                Key=BRIEFS_PREFIX + path.name,
                Body=path.read_bytes(),
                ContentType="application/json" if path.suffix.lower() == ".json" else "application/octet-stream",
            )

        timed_out = not pipeline.drive(started_at + options.timeout_seconds)
        invoker.wait_idle(5)
        swept = pipeline.loaded["settler"].invoke(closing_sweep(pipeline.settings))

        campaigns = outputs.manifests(s3, resources.bucket)
        rejections = outputs.rejection_reports(s3, resources.bucket)
        options.out.mkdir(parents=True, exist_ok=True)
        galleries = {cid: outputs.download_campaign(s3, resources.bucket, cid, options.out) for cid in campaigns}
        outputs.download_reports(s3, resources.bucket, options.out)
        return RunResult(
            bucket=resources.bucket,
            campaigns=campaigns,
            rejections=rejections,
            dlq_messages=_drain(sqs, resources.dlq_url),
            failed_invocations=[
                json.loads(body)
                for body in [
                    *pipeline.settled_records,
                    *(m["Body"] for m in _drain(sqs, resources.failed_invocations_url)),
                ]
            ],
            galleries=galleries,
            uploads=len(options.briefs),
            invocations=dict(invoker.invocations),
            parser_batches=pipeline.source.batches,
            parser_records_failed=pipeline.source.records_failed,
            async_retries=invoker.retries,
            wall_seconds=time.monotonic() - started_at,
            timed_out=timed_out,
            swept=swept,
        )


def upload_existing_assets(s3: Any, bucket: str, folder: Path = EXISTING_ASSETS) -> None:
    """A folder of images (the repository's samples, or the user's `--assets`) at `existing-assets/<path>`,
    as a team would keep them."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            s3.put_object(
                Bucket=bucket, Key=ASSETS_PREFIX + path.relative_to(folder).as_posix(), Body=path.read_bytes()
            )


def closing_sweep(settings: StackSettings) -> dict[str, Any]:
    """The settler's scheduled event, dated past the time a product may take (STUCK_AFTER_SECONDS): the run
    has nothing left to run, so a campaign still open now would stay open forever; in AWS the schedule's
    sweep settles it that much later."""
    fired = datetime.now(UTC) + timedelta(seconds=stuck_after_seconds(settings) + 1)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": fired.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:{ACCOUNT_ID}:rule/{settings.names.prefix}-settler-sweep"],
        "detail": {},
    }


def _drive(
    sources: list[QueueEventSource], invoker: AsyncInvoker, sqs: Any, queue_urls: list[str], deadline: float
) -> bool:
    """Poll until the queues are empty and no invocation is queued or running. False on timeout."""
    while time.monotonic() < deadline:
        if sum(source.poll_once() for source in sources):
            continue
        if invoker.idle() and all(_queue_empty(sqs, url) for url in queue_urls) and invoker.idle():
            return True
        invoker.wait_idle(0.2)
    return False


def _queue_empty(sqs: Any, queue_url: str) -> bool:
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
    except (ClientError, BotoCoreError):
        return False
    return all(int(value) == 0 for value in attributes.values())


def _drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message in a queue (DLQ, failed invocations), read without deleting."""
    messages: dict[str, dict[str, Any]] = {}
    for _ in range(100):
        try:
            received = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=60,
                AttributeNames=["All"],
            ).get("Messages", [])
        except (ClientError, BotoCoreError):
            continue
        if not received:
            break
        messages.update({m["MessageId"]: m for m in received})
    return list(messages.values())


def _send(sqs: Any, queue_url: str, record: dict[str, Any]) -> None:
    for attempt in range(8):
        try:
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))
            return
        except (ClientError, BotoCoreError):
            time.sleep(0.05 * 2**attempt)
    raise RuntimeError("could not record a failed invocation in the local failed-invocations queue")


def _finished(progress: Progress, service: str, outcome: str) -> None:
    if outcome != "retry":
        progress.advance("generate" if service == "generator" else "render")


def _uploads_in(body: str) -> int:
    from handlers.parser.events import NotAnS3Notification, parse_body

    try:
        return len(parse_body(body).uploads)
    except NotAnS3Notification:
        return 0
