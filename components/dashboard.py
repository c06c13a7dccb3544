"""The CloudWatch dashboard body, built from the names the stack created. Pure: no Pulumi, no AWS calls.

`build_body` takes resolved names (function, queue, DLQ, job definition, alarm ARNs) and returns the
DashboardBody JSON string. Every metric on it is one AWS publishes (AWS/Lambda, AWS/SQS) or one the
handlers emit (handlers/shared/metrics.py) with exactly the dimension set Powertools Metrics writes:
`service` alone (a metric queried with a different dimension set shows nothing in CloudWatch).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from handlers.shared import metrics as m

GRID_COLUMNS = 24
PERIOD = 300  # seconds; a multiple of 60 as CloudWatch requires for standard-resolution metrics
MAX_ALARMS_PER_WIDGET = 100

LAMBDA = "AWS/Lambda"
SQS = "AWS/SQS"
API_GATEWAY = "AWS/ApiGateway"
# HTTP API metrics by ApiId (every stage: the API has only `$default`); 4xx/5xx are counts, latency in ms.
API_METRICS = ("Count", "4xx", "5xx", "Latency", "IntegrationLatency")
# Metrics AWS publishes that the dashboard and alarms use (names as AWS spells them).
LAMBDA_METRICS = ("Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions")
SQS_METRICS = ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")

# Which service (POWERTOOLS_SERVICE_NAME, the `service` dimension) emits each pipeline metric. The
# campaign-settled metrics come from whichever function settled the campaign: the generator (a product
# refused by the content filter or out of attempts) or variants, or the settler (a product Lambda dropped, or
# one without progress); the parser starts campaigns, and settles one as failed only when every product named an
# existing asset that is missing.
SETTLERS = ("generator", "variants", "settler")
UPDATER = "image-updater"
EMITTERS: dict[str, tuple[str, ...]] = {
    m.CAMPAIGNS_STARTED: ("parser",),
    m.BRIEFS_REJECTED: ("parser",),
    # The generator settles a campaign only by failing its last product: only variants completes one.
    m.CAMPAIGNS_COMPLETED: ("variants",),
    m.CAMPAIGNS_PARTIAL: SETTLERS,
    m.CAMPAIGNS_FAILED: ("parser", *SETTLERS),
    m.CAMPAIGNS_CANCELLED: SETTLERS,
    m.PRODUCTS_LOST: ("settler",),
    m.PRODUCTS_GENERATED: ("generator",),
    m.PRODUCTS_REUSED: ("parser", "generator"),
    m.EXISTING_ASSETS_MISSING: ("parser",),
    m.MISSING_ASSETS_GENERATED: ("parser",),
    m.VARIANTS_RENDERED: ("variants",),
    m.IMAGE_MODEL_COST_USD: ("generator",),
    m.MODEL_THROTTLES: ("generator", "variants"),
    m.MODEL_UNAVAILABLE: ("generator", "variants"),
    m.GENERATION_DURATION_MS: ("generator",),
    m.RENDER_DURATION_MS: ("variants",),
    m.UPDATER_UPDATED: (UPDATER,),
    m.UPDATER_SKIPPED: (UPDATER,),
    m.UPDATER_FAILED: (UPDATER,),
    m.JOB_DEFINITION_REVISIONS: (UPDATER,),
}
SERVICE_DIMENSION = "service"  # the one dimension Powertools Metrics adds by default


@dataclass
class Widget:
    type: str  # metric | text | alarm
    width: int
    height: int
    properties: dict[str, Any]
    x: int = field(default=0)
    y: int = field(default=0)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def layout(rows: Sequence[Sequence[Widget]]) -> list[Widget]:
    """Place widgets left to right, wrapping at the 24-column edge; each given row starts on a new line."""
    placed: list[Widget] = []
    y = 0
    for row in rows:
        x, line_height = 0, 0
        for widget in row:
            if not 1 <= widget.width <= GRID_COLUMNS:
                raise ValueError(f"widget width {widget.width}: expected 1..{GRID_COLUMNS}")
            if x + widget.width > GRID_COLUMNS:
                y, x, line_height = y + line_height, 0, 0
            widget.x, widget.y = x, y
            x += widget.width
            line_height = max(line_height, widget.height)
            placed.append(widget)
        y += line_height
    return placed


def _metric(namespace: str, name: str, dimensions: Sequence[tuple[str, str]], **options: Any) -> list[Any]:
    row: list[Any] = [namespace, name]
    for key, value in dimensions:
        row += [key, value]
    return row + [options] if options else row


def _graph(
    title: str, metrics: list[list[Any]], region: str, stat: str = "Sum", width: int = 8, height: int = 6, **extra: Any
) -> Widget:
    return Widget(
        "metric",
        width,
        height,
        {
            "title": title,
            "view": "timeSeries",
            "stacked": False,
            "region": region,
            "stat": stat,
            "period": PERIOD,
            "metrics": metrics,
            **extra,
        },
    )


def _pipeline(namespace: str, name: str, services: Sequence[str], **options: Any) -> list[list[Any]]:
    """One row per emitting service that the stack has; labelled by service when there are several."""
    emitting = [s for s in EMITTERS[name] if s in services]
    label = options.pop("label", name)
    rows = []
    for service in emitting:
        rows.append(
            _metric(
                namespace,
                name,
                [(SERVICE_DIMENSION, service)],
                label=label if len(emitting) == 1 else f"{label} ({service})",
                **options,
            )
        )
    return rows


def _api_row(api_id: str, region: str) -> list[Widget]:
    """The campaign API: requests and client/server errors, then latency p50 / p99 (all of it, and the function's
    part of it)."""
    dims = [("ApiId", api_id)]
    return [
        _graph(
            "Campaign API: requests, 4xx, 5xx",
            [
                _metric(API_GATEWAY, "Count", dims, label="requests"),
                _metric(API_GATEWAY, "4xx", dims, label="4xx (refused: token, scope, input)"),
                _metric(API_GATEWAY, "5xx", dims, label="5xx (alarm)"),
            ],
            region,
            width=12,
        ),
        _graph(
            "Campaign API: latency p50 / p99 (ms)",
            [
                _metric(API_GATEWAY, "Latency", dims, stat="p50", label="latency p50"),
                _metric(API_GATEWAY, "Latency", dims, stat="p99", label="latency p99"),
                _metric(API_GATEWAY, "IntegrationLatency", dims, stat="p50", label="function p50"),
                _metric(API_GATEWAY, "IntegrationLatency", dims, stat="p99", label="function p99"),
            ],
            region,
            stat="p99",
            width=12,
        ),
    ]


def build_body(
    *,
    region: str,
    namespace: str,
    functions: Mapping[str, str],
    work_queues: Mapping[str, str],
    dead_letter_queues: Mapping[str, str],
    job_definition_name: str,
    api_id: str | None = None,
    alarm_arns: Sequence[str] = (),
    title: str = "",
) -> str:
    """DashboardBody JSON. `functions`: service -> function name; queues: label -> queue name; `api_id`: the
    campaign API (HTTP API), if the stack has one."""
    services = list(functions)
    rows: list[list[Widget]] = []

    queue_list = ", ".join(f"`{q}`" for q in work_queues.values()) or "none"
    dlq_list = ", ".join(f"`{q}`" for q in dead_letter_queues.values()) or "none"
    header = (
        f"# {title or namespace}\n"
        f"Functions: {', '.join(f'`{f}`' for f in functions.values())}. Work queues: {queue_list}. "
        f"Dead-letter queues: {dlq_list}. Batch job definition: `{job_definition_name}`. "
        + (f"Campaign API: `{api_id}`. " if api_id else "")
        + f"Pipeline metrics: namespace `{namespace}`, dimension `{SERVICE_DIMENSION}`."
    )
    top = [Widget("text", 24 if not alarm_arns else 12, 4, {"markdown": header})]
    if alarm_arns:
        top.append(
            Widget(
                "alarm",
                12,
                4,
                {
                    "title": "Alarms",
                    "sortBy": "stateUpdatedTimestamp",
                    "alarms": list(alarm_arns)[:MAX_ALARMS_PER_WIDGET],
                },
            )
        )
    rows.append(top)

    if api_id:
        rows.append(_api_row(api_id, region))

    # Per function: calls and failures, latency percentiles, concurrency.
    for service, function in functions.items():
        dims = [("FunctionName", function)]
        rows.append(
            [
                _graph(
                    f"{service}: invocations, errors, throttles",
                    [
                        _metric(LAMBDA, "Invocations", dims),
                        _metric(LAMBDA, "Errors", dims),
                        _metric(LAMBDA, "Throttles", dims),
                    ],
                    region,
                ),
                _graph(
                    f"{service}: duration p50 / p95 (ms)",
                    [
                        _metric(LAMBDA, "Duration", dims, stat="p50", label="p50"),
                        _metric(LAMBDA, "Duration", dims, stat="p95", label="p95"),
                    ],
                    region,
                    stat="p95",
                ),
                _graph(
                    f"{service}: concurrent executions",
                    [_metric(LAMBDA, "ConcurrentExecutions", dims)],
                    region,
                    stat="Maximum",
                ),
            ]
        )

    # Queues: depth and age of the oldest message (right axis); dead-letter queues: depth.
    queue_widgets = []
    for label, queue in work_queues.items():
        dims = [("QueueName", queue)]
        queue_widgets.append(
            _graph(
                f"{label}: depth and oldest message age (s)",
                [
                    _metric(SQS, "ApproximateNumberOfMessagesVisible", dims, label="visible messages"),
                    _metric(SQS, "ApproximateAgeOfOldestMessage", dims, label="oldest message age (s)", yAxis="right"),
                ],
                region,
                stat="Maximum",
                width=12,
            )
        )
    if dead_letter_queues:
        queue_widgets.append(
            _graph(
                "Dead-letter queues: messages (any is an alarm)",
                [
                    _metric(SQS, "ApproximateNumberOfMessagesVisible", [("QueueName", queue)], label=label)
                    for label, queue in dead_letter_queues.items()
                ],
                region,
                stat="Maximum",
                width=12,
            )
        )
    if queue_widgets:
        rows.append(queue_widgets)

    # The pipeline's own metrics (EMF from the handlers).
    def series(*names: str, **options: Any) -> list[list[Any]]:
        return [row for name in names for row in _pipeline(namespace, name, services, **options)]

    pipeline_widgets: list[tuple[str, list[list[Any]], str, dict[str, Any]]] = [
        (
            "Campaigns",
            series(
                m.CAMPAIGNS_STARTED,
                m.CAMPAIGNS_COMPLETED,
                m.CAMPAIGNS_PARTIAL,
                m.CAMPAIGNS_FAILED,
                m.CAMPAIGNS_CANCELLED,
                m.BRIEFS_REJECTED,
            ),
            "Sum",
            {},
        ),
        (
            "Products and variants",
            series(
                m.PRODUCTS_GENERATED,
                m.PRODUCTS_REUSED,
                m.VARIANTS_RENDERED,
                m.EXISTING_ASSETS_MISSING,
                m.MISSING_ASSETS_GENERATED,
                m.PRODUCTS_LOST,
            ),
            "Sum",
            {},
        ),
        ("Image-model cost (USD)", series(m.IMAGE_MODEL_COST_USD), "Sum", {}),
        ("Image-model throttles and refusals", series(m.MODEL_THROTTLES, m.MODEL_UNAVAILABLE), "Sum", {}),
        (
            "Generation and render duration p50 / p95 (ms)",
            series(m.GENERATION_DURATION_MS, stat="p50", label=f"{m.GENERATION_DURATION_MS} p50")
            + series(m.GENERATION_DURATION_MS, stat="p95", label=f"{m.GENERATION_DURATION_MS} p95")
            + series(m.RENDER_DURATION_MS, stat="p50", label=f"{m.RENDER_DURATION_MS} p50")
            + series(m.RENDER_DURATION_MS, stat="p95", label=f"{m.RENDER_DURATION_MS} p95"),
            "p95",
            {},
        ),
        (
            "Image pushes: updater outcomes (updated = a revision registered or a function moved to the digest)",
            series(m.UPDATER_UPDATED, m.UPDATER_SKIPPED, m.UPDATER_FAILED),
            "Sum",
            {},
        ),
        (
            f"Batch job definition {job_definition_name}: revisions registered by the updater",
            series(m.JOB_DEFINITION_REVISIONS),
            "Sum",
            {},
        ),
    ]
    rows.append(
        [
            _graph(title_, metrics, region, stat=stat, **extra)
            for title_, metrics, stat, extra in pipeline_widgets
            if metrics
        ]
    )

    body = {"start": "-PT6H", "periodOverride": "inherit", "widgets": [w.to_json() for w in layout(rows)]}
    return json.dumps(body, sort_keys=False)
