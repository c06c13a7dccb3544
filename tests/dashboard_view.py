"""The dev stack's CloudWatch dashboard as a reader sees it: components/dashboard.py's body for the stack's names,
its metric rows with CloudWatch's "." shorthand resolved (a "." repeats the value in the same place of the row above).
"""

from __future__ import annotations

import json

from components import dashboard

NAMESPACE = "CreativeAutomation/dev"
FUNCTIONS = {
    "parser": "ca-dev-parser",
    "generator": "ca-dev-generator",
    "variants": "ca-dev-variants",
    "image-updater": "ca-dev-image-updater",
    "settler": "ca-dev-settler",
}
WORK_QUEUES = {"briefs": "ca-dev-briefs"}
DLQS = {
    "briefs-dlq": "ca-dev-briefs-dlq",
    "failed-invocations": "ca-dev-failed-invocations",
    "image-updater-dlq": "ca-dev-image-updater-dlq",
}
API_ID = "a1b2c3d4e5"  # the campaign API (HTTP API)
ALARMS = [
    f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:ca-dev-{n}" for n in ("parser-errors", "briefs-dlq-messages")
]
RENDERING_OPTIONS = {"label", "stat", "period", "yAxis", "visible", "color", "id", "region", "accountId"}


def body(**overrides) -> dict:
    args = dict(
        region="us-east-1",
        namespace=NAMESPACE,
        functions=FUNCTIONS,
        work_queues=WORK_QUEUES,
        dead_letter_queues=DLQS,
        job_definition_name="ca-dev-batch-worker",
        api_id=API_ID,
        alarm_arns=ALARMS,
    )
    args.update(overrides)
    text = dashboard.build_body(**args)
    assert isinstance(text, str)
    return json.loads(text)


def metric_rows(widget: dict) -> list[tuple[str, str, dict[str, str], dict]]:
    """The widget's metrics with the "." shorthand resolved: (namespace, name, dimensions, options)."""
    resolved, previous = [], None
    for row in widget["properties"]["metrics"]:
        assert isinstance(row, list) and row, f"metric row {row!r} is not a non-empty array"
        options = row[-1] if isinstance(row[-1], dict) else {}
        values = row[:-1] if options is row[-1] else row
        assert all(isinstance(v, str) for v in values), f"{row!r}: only strings before the options object"
        assert set(options) <= RENDERING_OPTIONS, f"{row!r}: unknown rendering options"
        assert "expression" not in options, f"{row!r}: the dashboard uses no metric math"
        full = []
        for position, value in enumerate(values):
            if value == ".":
                assert previous is not None and position < len(previous), f"{row!r}: '.' with nothing above it"
                value = previous[position]
            full.append(value)
        assert len(full) >= 2 and len(full) % 2 == 0, f"{row!r}: expected namespace, name, then name/value pairs"
        previous = full
        resolved.append((full[0], full[1], dict(zip(full[2::2], full[3::2], strict=False)), options))
    return resolved


def validate(document: dict) -> None:
    widgets = document["widgets"]
    assert 0 < len(widgets) <= 500
    cells = set()
    for widget in widgets:
        assert widget["type"] in {"metric", "text", "alarm"}
        x, y, width, height = widget["x"], widget["y"], widget["width"], widget["height"]
        assert all(isinstance(v, int) for v in (x, y, width, height))
        assert x >= 0 and y >= 0 and 1 <= width <= 24 and 1 <= height <= 1000 and x + width <= 24, widget
        covered = {(cx, cy) for cx in range(x, x + width) for cy in range(y, y + height)}
        assert not covered & cells, f"widget {widget['properties'].get('title')!r} overlaps another"
        cells |= covered
        properties = widget["properties"]
        if widget["type"] == "text":
            assert isinstance(properties["markdown"], str) and properties["markdown"]
        elif widget["type"] == "alarm":
            assert 1 <= len(properties["alarms"]) <= 100
            assert all(arn.startswith("arn:aws:cloudwatch:") and ":alarm:" in arn for arn in properties["alarms"])
        else:
            assert properties["region"] == "us-east-1"
            assert properties["stat"] and properties["period"] % 60 == 0
            assert properties["view"] == "timeSeries" and properties["title"]
            assert metric_rows(widget)


def all_rows(document: dict):
    return [row for w in document["widgets"] if w["type"] == "metric" for row in metric_rows(w)]


def pipeline_series(document: dict | None = None) -> set[tuple[str, str]]:
    """(metric, service) for every series of the pipeline's own metrics the dashboard shows."""
    rows = all_rows(document or body())
    assert all(list(dims) == ["service"] for namespace, _, dims, _ in rows if namespace == NAMESPACE)
    return {(name, dims["service"]) for namespace, name, dims, _ in rows if namespace == NAMESPACE}
