"""Each function's Powertools logger and metrics, and what the services need of them (protocols: the tests pass
quiet stand-ins)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the services import only the protocols; Powertools is loaded where a function starts
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
