"""The dashboard body: valid CloudWatch DashboardBody JSON naming only metrics that exist."""

import json
import re
from pathlib import Path

import pytest

from components import dashboard
from handlers.shared import metrics as metric_names

HANDLER_METRICS = {value for key, value in vars(metric_names).items() if key.isupper() and isinstance(value, str)}
NAMESPACE = "CreativeAutomation/dev"
FUNCTIONS = {
    "parser": "ca-dev-parser",
    "generator": "ca-dev-generator",
    "variants": "ca-dev-variants",
    "image-updater": "ca-dev-image-updater",
}
WORK_QUEUES = {"briefs": "ca-dev-briefs"}
DLQS = {
    "briefs-dlq": "ca-dev-briefs-dlq",
    "failed-invocations": "ca-dev-failed-invocations",
    "image-updater-dlq": "ca-dev-image-updater-dlq",
}
ALARMS = [
    f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:ca-dev-{n}" for n in ("parser-errors", "briefs-dlq-messages")
]
RENDERING_OPTIONS = {"label", "stat", "period", "yAxis", "visible", "color", "id", "region", "accountId"}
# What AWS publishes, with the dimension each per-resource metric carries.
AWS_METRICS = {
    "AWS/Lambda": (set(dashboard.LAMBDA_METRICS), ("FunctionName",)),
    "AWS/SQS": (set(dashboard.SQS_METRICS), ("QueueName",)),
}


def body(**overrides) -> dict:
    args = dict(
        region="us-east-1",
        namespace=NAMESPACE,
        functions=FUNCTIONS,
        work_queues=WORK_QUEUES,
        dead_letter_queues=DLQS,
        job_definition_name="ca-dev-batch-worker",
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
        if "expression" in options:
            pytest.fail(f"{row!r}: the dashboard uses no metric math")
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


def test_body_is_valid_dashboard_json():
    validate(body())


def test_without_alarms_the_header_takes_the_full_width():
    document = body(alarm_arns=[])
    validate(document)
    assert [w["type"] for w in document["widgets"]].count("alarm") == 0
    assert document["widgets"][0]["width"] == 24


def test_alarm_widget_lists_the_alarms():
    alarm_widgets = [w for w in body()["widgets"] if w["type"] == "alarm"]
    assert [w["properties"]["alarms"] for w in alarm_widgets] == [ALARMS]


def all_rows(document: dict):
    return [row for w in document["widgets"] if w["type"] == "metric" for row in metric_rows(w)]


def test_only_metrics_aws_publishes_or_the_handlers_emit_with_their_exact_dimensions():
    for namespace, name, dimensions, _ in all_rows(body()):
        if namespace in AWS_METRICS:
            names, dimension_names = AWS_METRICS[namespace]
            assert name in names, f"{namespace} publishes no metric {name}"
            assert tuple(dimensions) == dimension_names
        else:
            assert namespace == NAMESPACE
            assert name in HANDLER_METRICS, f"no handler emits {name}"
            # Powertools' default dimension set is exactly {service}; anything else would show nothing.
            assert list(dimensions) == [dashboard.SERVICE_DIMENSION]
            assert dimensions["service"] in dashboard.EMITTERS[name]


def test_every_function_queue_and_dlq_is_on_the_dashboard():
    rows = all_rows(body())
    for service, function in FUNCTIONS.items():
        shown = {name for ns, name, dims, _ in rows if ns == "AWS/Lambda" and dims == {"FunctionName": function}}
        assert shown == set(dashboard.LAMBDA_METRICS), service
        durations = {
            opts.get("stat")
            for ns, name, dims, opts in rows
            if name == "Duration" and dims == {"FunctionName": function}
        }
        assert durations == {"p50", "p95"}
    for queue in WORK_QUEUES.values():
        shown = {name for ns, name, dims, _ in rows if ns == "AWS/SQS" and dims == {"QueueName": queue}}
        assert shown == set(dashboard.SQS_METRICS)
    for queue in DLQS.values():
        assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in {
            (ns, name) for ns, name, dims, _ in rows if dims == {"QueueName": queue}
        }


def test_every_handler_metric_is_shown_for_each_service_that_emits_it():
    shown = {(name, dims["service"]) for ns, name, dims, _ in all_rows(body()) if ns == NAMESPACE}
    expected = {(name, service) for name, services in dashboard.EMITTERS.items() for service in services}
    assert shown == expected
    assert {name for name, _ in shown} == HANDLER_METRICS


def test_batch_job_definition_is_named_with_the_updater_outcomes():
    document = body(job_definition_name="ca-dev-batch-worker")
    titles = [w["properties"].get("title", "") for w in document["widgets"]]
    assert any("ca-dev-batch-worker" in t for t in titles)


def test_a_stack_without_the_updater_shows_no_updater_metrics():
    functions = {k: v for k, v in FUNCTIONS.items() if k != "image-updater"}
    document = body(functions=functions)
    validate(document)
    assert not [row for row in all_rows(document) if row[2].get("service") == "image-updater"]


def test_validator_rejects_a_dot_with_nothing_above_it():
    widget = {"properties": {"metrics": [[".", "Errors", "FunctionName", "f"]]}}
    with pytest.raises(AssertionError, match="nothing above"):
        metric_rows(widget)


def test_dot_shorthand_repeats_the_value_above():
    widget = {"properties": {"metrics": [["AWS/Lambda", "Errors", "FunctionName", "f"], [".", "Throttles", ".", "."]]}}
    assert metric_rows(widget)[1][:3] == ("AWS/Lambda", "Throttles", {"FunctionName": "f"})


def test_layout_wraps_at_the_grid_edge():
    widgets = [dashboard.Widget("text", 10, 2, {"markdown": "a"}) for _ in range(3)]
    placed = dashboard.layout([widgets])
    assert [(w.x, w.y) for w in placed] == [(0, 0), (10, 0), (0, 2)]
    with pytest.raises(ValueError, match="width 25"):
        dashboard.layout([[dashboard.Widget("text", 25, 2, {"markdown": "a"})]])


def emitted_by_the_handlers() -> dict[str, set[str]]:
    """metric -> services, read from the handlers' code (not from EMITTERS): a metric constant used under
    handlers/<service>/, plus the campaign-settled metrics where the app hands on_campaign_settled its metrics."""
    handlers = Path(__file__).resolve().parents[2] / "handlers"
    constants = {name: value for name, value in vars(metric_names).items() if name.isupper() and isinstance(value, str)}
    found: dict[str, set[str]] = {}
    for folder in handlers.iterdir():
        if not (folder / "app.py").is_file():
            continue
        service = "image-updater" if folder.name == "image_updater" else folder.name
        code = "\n".join(path.read_text() for path in folder.rglob("*.py"))
        for constant, metric in constants.items():
            if re.search(rf"\b(metric_names|names|m)\.{constant}\b", code):
                found.setdefault(metric, set()).add(service)
        if "on_campaign_settled(" in (folder / "app.py").read_text():
            for metric in metric_names.CAMPAIGN_SETTLED.values():
                found.setdefault(metric, set()).add(service)
    return found


def test_emitters_match_what_the_handlers_emit():
    assert {name: set(services) for name, services in dashboard.EMITTERS.items()} == emitted_by_the_handlers()
