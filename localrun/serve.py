"""`python -m localrun --serve` (`make serve`): the pipeline keeps running and the campaign API answers on
127.0.0.1, so `curl` can submit, follow, cancel and re-render while the functions work.

The API is the real `handlers/api/app.py`, with the campaign table in the emulator (the stack's key schema, from
handlers/shared/campaign_table.py). Re-renders run the Batch worker's `rerender` in this process: locally there
are no images, so every version runs this checkout's code, and the API says so.
"""

from __future__ import annotations

import importlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from components.function_environment import StackValues, function_environment
from handlers.api.rerender_jobs import SubmittedJob
from handlers.api.versions import Version
from handlers.shared import environment as env
from handlers.shared.campaign_table import create_table_args
from handlers.shared.invoke import invoke_async
from handlers.shared.manifest import ManifestStore
from localrun.api_server import LocalApiServer
from localrun.functions import forget_module
from localrun.lambda_context import LocalContext
from localrun.run import Pipeline, RunOptions, started

LOCAL_NOTE = "local run: no images or Batch here; every version runs this checkout's code (the worker's rerender)"
LOCAL_VERSIONS = ("latest", "local")


@dataclass
class LocalRerenderJobs:
    """Re-render "jobs" run in this process, on a thread, as Batch would run the worker's container."""

    store: ManifestStore
    source: str = "local"

    def versions(self) -> list[Version]:
        return [Version(name, "none: this checkout", note=LOCAL_NOTE) for name in LOCAL_VERSIONS]

    def submit(self, campaign_id: str, version: Version) -> SubmittedJob:
        from handlers.batch_worker.rerender import rerender

        job_id = f"local-{uuid.uuid4().hex[:12]}"
        worker = threading.Thread(
            target=rerender, args=(self.store, campaign_id, invoke_async), name=job_id, daemon=True
        )
        worker.start()
        return SubmittedJob(job_id, f"local: handlers.batch_worker.rerender of this checkout ({version.name})")


def api_environment(pipeline: Pipeline) -> dict[str, str]:
    """The API function's variables exactly as the dev stack sets them (`function_environment`); its job queue,
    job definition and repository are named as the stack names them, though the local jobs never call Batch."""
    names = pipeline.settings.names
    values = StackValues(
        bucket_name=pipeline.resources.bucket,
        job_queue_name=f"{names.prefix}-jobs",
        job_definition_name=f"{names.prefix}-rerender",
        batch_worker_repository=f"{names.prefix}-batch-worker",
    )
    variables = function_environment(pipeline.settings, "api", values)
    variables.pop(env.POWERTOOLS_SERVICE_NAME)  # the process already names the pipeline's services
    return {name: str(value) for name, value in variables.items()}


@dataclass
class Serving:
    url: str
    token: str
    pipeline: Pipeline
    bucket: str


@contextmanager
def serving(options: RunOptions, port: int = 0) -> Iterator[Serving]:
    """The pipeline driven on a thread and the API served, until the block ends."""
    with started(options) as pipeline:
        table = pipeline.settings.names.campaign_table
        pipeline.platform.client("dynamodb").create_table(**create_table_args(table))
        pipeline.emulator.set_env(api_environment(pipeline))
        put_back = forget_module("handlers.api.app")  # a fresh module: its Logger reads this run's environment
        app: Any = importlib.import_module("handlers.api.app")
        if options.log_stream is not None:
            app.logger.registered_handler.setStream(options.log_stream)
        app.use_rerender_jobs(LocalRerenderJobs(ManifestStore(pipeline.s3, pipeline.resources.bucket)))
        app.service()  # its clients, made here on this thread (creating clients is not thread-safe)
        server = LocalApiServer(app.handler, LocalContext("creative-automation-dev-api"), port)
        stop = threading.Event()
        threads = [
            threading.Thread(target=server.serve_forever, name="api", daemon=True),
            threading.Thread(target=_keep_driving, args=(pipeline, stop), name="pipeline", daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            yield Serving(server.url, server.token, pipeline, pipeline.resources.bucket)
        finally:
            stop.set()
            server.shutdown()
            server.server_close()
            for thread in threads:
                thread.join(timeout=30)
            app.use_rerender_jobs(None)
            put_back()


def _keep_driving(pipeline: Pipeline, stop: threading.Event) -> None:
    """What the event source mapping does forever: poll the queue, hand batches to the parser."""
    while not stop.is_set():
        if not pipeline.poll_once():
            pipeline.invoker.wait_idle(0.2)


def banner(serving: Serving) -> str:
    url, token = serving.url, serving.token
    return "\n".join(
        [
            f"Campaign API  {url}   (the stack's routes; Ctrl-C stops it and the emulator)",
            f"Local token   {token}",
            "              its claims: team local-team, scopes campaigns/read and campaigns/write",
            "Try",
            f"  export API={url} TOKEN={token}",
            '  curl -s -H "Authorization: Bearer $TOKEN" --data-binary @samples/briefs/summer-splash.json '
            "$API/campaigns",
            '  curl -s -H "Authorization: Bearer $TOKEN" $API/campaigns',
            "Versions      latest, local: every version runs this checkout's code here",
        ]
    )
