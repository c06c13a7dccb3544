"""The pipeline's handlers, loaded in this process with the environment their Lambda functions get.

Each function is the real `handlers/<name>/app.py` module. Lambda gives every function a fresh container;
here the modules are shared, so each run drops their cached service objects (which hold boto3 clients for
the previous endpoint) and builds them once, before any thread runs, because creating boto3 clients from
one session is not thread-safe.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from components.function_environment import StackValues, function_environment
from components.settings import PIPELINE_FUNCTIONS, StackSettings
from handlers.shared import environment as env
from localrun.lambda_context import LocalContext

# Metrics are disabled here (no CloudWatch), so an invocation that adds none is no news worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
# Env var the callers use -> function service name.
TARGETS = {env.GENERATOR_FUNCTION: "generator", env.VARIANTS_FUNCTION: "variants"}
# The functions the local run loads: the pipeline, and the settler behind the failed-invocations queue.
LOCAL_FUNCTIONS = (*PIPELINE_FUNCTIONS, "settler")


@dataclass
class Function:
    service: str
    name: str  # the physical name the dev stack gives it
    module: Any
    memory_mb: int
    timeout_seconds: int

    def invoke(self, event: dict[str, Any], request_id: str | None = None) -> Any:
        """One call, as Lambda makes it; `request_id`: an asynchronous event's, which its retries keep."""
        context = LocalContext(
            self.name,
            memory_limit_in_mb=self.memory_mb,
            timeout_seconds=self.timeout_seconds,
            log_group_name=f"/aws/lambda/{self.name}",
        )
        if request_id is not None:
            context.aws_request_id = request_id
        try:
            return self.module.handler(event, context)
        finally:
            # Powertools keeps metrics in one set shared by every Metrics object in the process and, with
            # POWERTOOLS_METRICS_DISABLED, never flushes it; Lambda starts each container empty.
            self.module.metrics.clear_metrics()


def environment(settings: StackSettings, bucket: str, dlq_url: str) -> dict[str, str]:
    """The variables the stack sets on the pipeline's functions (one process here, so their union), with
    metrics disabled: no CloudWatch here, and EMF lines would only clutter the terminal."""
    values = StackValues(bucket_name=bucket, dlq_url=dlq_url)
    merged: dict[str, str] = {}
    for service in LOCAL_FUNCTIONS:
        merged.update({name: str(value) for name, value in function_environment(settings, service, values).items()})
    merged.pop(env.POWERTOOLS_SERVICE_NAME)  # each function's Logger and Metrics name their service themselves
    return merged | {env.POWERTOOLS_METRICS_DISABLED: "true"}


class Loaded(dict):
    """service -> Function; `restore()` puts the process back as it was (modules, log streams)."""

    def __init__(self) -> None:
        super().__init__()
        self._undo: list[Callable[[], None]] = []

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()


def load(
    settings: StackSettings, log_stream: TextIO | None, prepare: Callable[[str, Any], None] | None = None
) -> Loaded:
    """The parser, generator, variants and settler functions, ready to invoke. Logs go to `log_stream`.

    Each app module is imported afresh (its Logger and Metrics read the environment set for this run) and
    the previous one is put back by `restore()`, so code that imported it before is not affected."""
    functions = Loaded()
    try:
        for service in LOCAL_FUNCTIONS:
            name = f"handlers.{service}.app"
            functions._undo.append(forget_module(name))
            module = importlib.import_module(name)
            if log_stream is not None:
                functions._undo.append(_redirect_logs(module.logger, log_stream))
            module.service()  # build clients now, on this thread
            if prepare is not None:
                prepare(service, module)
            config = settings.functions[service]
            functions[service] = Function(
                service, settings.names.function(service), module, config.memory_mb, config.timeout_seconds
            )
    except BaseException:
        functions.restore()  # half loaded: put back what was loaded, so later imports see the process as it was
        raise
    return functions


def forget_module(name: str) -> Callable[[], None]:
    package, _, attribute = name.rpartition(".")
    previous = sys.modules.pop(name, None)

    def put_back() -> None:
        # Both the module table and the package's attribute: `from handlers.parser import app` reads the latter.
        parent = sys.modules.get(package)
        if previous is None:
            sys.modules.pop(name, None)
            if parent is not None and hasattr(parent, attribute):
                delattr(parent, attribute)
        else:
            sys.modules[name] = previous
            if parent is not None:
                setattr(parent, attribute, previous)

    return put_back


def _redirect_logs(logger: Any, stream: TextIO) -> Callable[[], None]:
    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler):
        return lambda: None
    previous = handler.setStream(stream)
    return lambda: handler.setStream(previous)
