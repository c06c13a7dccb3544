"""Lambda's asynchronous invocation (InvocationType=Event), in-process.

Lambda accepts the event at once, runs it on one of its instances, retries a run that raised up to
`maxRetryAttempts` more times (with a delay), and then sends an on-failure record to the destination
(the stack's `...-failed-invocations` queue). Here a pool of worker threads plays the instances, and the
retry delays are shortened (Lambda waits about 1 and then 2 minutes).
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Any

from localrun.functions import TARGETS, Function


@dataclass(order=True)
class _Event:
    due: float
    seq: int
    service: str = field(compare=False)
    payload: dict[str, Any] = field(compare=False)
    request_id: str = field(compare=False, default_factory=lambda: str(uuid.uuid4()))
    attempt: int = field(compare=False, default=1)
    accepted_at: float = field(compare=False, default_factory=time.monotonic)


@dataclass
class FailedInvocation:
    service: str
    payload: dict[str, Any]
    attempts: int
    error: str


@dataclass
class AsyncInvoker:
    functions: dict[str, Function]
    _: KW_ONLY
    workers: int
    max_retry_attempts: int
    max_event_age_seconds: int
    on_failure: Callable[[dict[str, Any]], None]
    retry_delays: tuple[float, ...] = (0.2, 0.5)
    on_finished: Callable[[str, dict[str, Any], str], None] | None = None  # (service, payload, ok | retry | failed)
    failed: list[FailedInvocation] = field(default_factory=list, init=False)
    invocations: dict[str, int] = field(default_factory=dict, init=False)  # service -> runs, retries included
    retries: int = field(default=0, init=False)  # runs that raised and were queued again
    _queue: list[_Event] = field(default_factory=list, init=False)
    _seq: Iterator[int] = field(default_factory=itertools.count, init=False)
    _busy: int = field(default=0, init=False)
    _lock: threading.Condition = field(default_factory=threading.Condition, init=False)
    _stopping: bool = field(default=False, init=False)
    _threads: list[threading.Thread] = field(default_factory=list, init=False)

    # -- the transport handed to shared.invoke.set_transport ------------------------------------------

    def transport(self, function_env: str, payload: dict[str, Any]) -> None:
        """Accept an event for the function named by `function_env` (GENERATOR_FUNCTION, VARIANTS_FUNCTION)."""
        service = TARGETS[function_env]
        self._push(_Event(time.monotonic(), next(self._seq), service, json.loads(json.dumps(payload))))

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> AsyncInvoker:
        for number in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"lambda-async-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def idle(self) -> bool:
        with self._lock:
            return not self._queue and self._busy == 0

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.5))
        return True

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    # -- internals ------------------------------------------------------------------------------------

    def _push(self, event: _Event) -> None:
        with self._lock:
            heapq.heappush(self._queue, event)
            self._lock.notify()

    def _next(self) -> _Event | None:
        with self._lock:
            while not self._stopping:
                if self._queue:
                    wait = self._queue[0].due - time.monotonic()
                    if wait <= 0:
                        self._busy += 1
                        return heapq.heappop(self._queue)
                    self._lock.wait(wait)
                else:
                    self._lock.wait()
            return None

    def _work(self) -> None:
        while (event := self._next()) is not None:
            try:
                self._run(event)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._lock.notify_all()

    def _run(self, event: _Event) -> None:
        with self._lock:
            self.invocations[event.service] = self.invocations.get(event.service, 0) + 1
        try:
            self.functions[event.service].invoke(event.payload, event.request_id)
        except Exception as error:  # noqa: BLE001 - a function error, handled as Lambda handles it
            too_old = time.monotonic() - event.accepted_at > self.max_event_age_seconds
            if event.attempt <= self.max_retry_attempts and not too_old:
                delay = self.retry_delays[min(event.attempt - 1, len(self.retry_delays) - 1)]
                retry = _Event(
                    time.monotonic() + delay,
                    next(self._seq),
                    event.service,
                    event.payload,
                    event.request_id,
                    event.attempt + 1,
                    event.accepted_at,
                )
                with self._lock:
                    self.retries += 1
                self._push(retry)
                self._finished(event, "retry")
                return
            condition = "EventAgeExceeded" if too_old else "RetriesExhausted"
            record = failure_record(self.functions[event.service], event, error, condition)
            self.failed.append(
                FailedInvocation(event.service, event.payload, event.attempt, f"{type(error).__name__}: {error}")
            )
            self.on_failure(record)
            self._finished(event, "failed")
            return
        self._finished(event, "ok")

    def _finished(self, event: _Event, outcome: str) -> None:
        if self.on_finished is not None:
            self.on_finished(event.service, event.payload, outcome)


def failure_record(
    function: Function, event: _Event, error: BaseException, condition: str = "RetriesExhausted"
) -> dict[str, Any]:
    """The record Lambda sends to an on-failure destination when retries are exhausted (or the event is too old
    to retry)."""
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function.name}"
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": f"{arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": event.attempt,
        },
        "requestPayload": event.payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_exception(error)[-5:],
        },
    }
