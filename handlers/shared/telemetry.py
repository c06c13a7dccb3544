"""What the services need of a logger and a metrics sink: Powertools' Logger and Metrics in the functions, quiet
stand-ins in the tests and the local run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the Batch worker's image has no Powertools, and needs only the protocols
    from aws_lambda_powertools import Logger, Metrics


def logger_and_metrics(service: str) -> tuple[Logger, Metrics]:
    """A function's Powertools logger and metrics, both under the function's service name."""
    from aws_lambda_powertools import Logger, Metrics

    return Logger(service=service), Metrics(service=service)


class Log(Protocol):
    def info(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...

    def warning(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None: ...

    def append_keys(self, **keys: object) -> None: ...


class MetricSink(Protocol):
    def add_metric(self, name: str, unit: str, value: float) -> None: ...
