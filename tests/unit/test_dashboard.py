"""The dashboard body: valid CloudWatch DashboardBody JSON naming only metrics that exist."""

import pytest

from components import dashboard
from handlers.shared import metrics as metric_names
from tests.dashboard_view import (
    ALARMS,
    API_ID,
    DLQS,
    FUNCTIONS,
    NAMESPACE,
    WORK_QUEUES,
    all_rows,
    body,
    metric_rows,
    validate,
)
from tests.documented import AWS_PUBLISHED_METRICS

HANDLER_METRICS = {value for key, value in vars(metric_names).items() if key.isupper() and isinstance(value, str)}
# What the dashboard promises to show for each function and each work queue.
FUNCTION_SERIES = {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"}
QUEUE_SERIES = {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}


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


def test_only_metrics_aws_publishes_or_the_handlers_emit_with_their_exact_dimensions():
    for namespace, name, dimensions, _ in all_rows(body()):
        if namespace in AWS_PUBLISHED_METRICS:
            names, dimension_names = AWS_PUBLISHED_METRICS[namespace]
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
        assert shown == FUNCTION_SERIES, service
        durations = {
            opts.get("stat")
            for ns, name, dims, opts in rows
            if name == "Duration" and dims == {"FunctionName": function}
        }
        assert durations == {"p50", "p95"}
    for queue in WORK_QUEUES.values():
        shown = {name for ns, name, dims, _ in rows if ns == "AWS/SQS" and dims == {"QueueName": queue}}
        assert shown == QUEUE_SERIES
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


def test_every_metric_widget_starts_with_a_complete_row():
    """CloudWatch reads "." as the value above it: a widget's first row must spell out namespace and metric."""
    for widget in body()["widgets"]:
        if widget["type"] == "metric":
            first = widget["properties"]["metrics"][0]
            assert "." not in first, widget["properties"]["title"]


def test_no_widget_shows_the_same_series_twice():
    for widget in body()["widgets"]:
        if widget["type"] == "metric":
            series = [
                (ns, name, tuple(sorted(dims.items())), opts.get("stat"))
                for ns, name, dims, opts in metric_rows(widget)
            ]
            assert len(series) == len(set(series)), widget["properties"]["title"]
            labels = [opts.get("label") for *_, opts in metric_rows(widget) if opts.get("label")]
            assert len(labels) == len(set(labels)), f"{widget['properties']['title']}: two lines with one label"


def test_layout_wraps_at_the_grid_edge():
    widgets = [dashboard.Widget("text", 10, 2, {"markdown": "a"}) for _ in range(3)]
    placed = dashboard.layout([widgets])
    assert [(w.x, w.y) for w in placed] == [(0, 0), (10, 0), (0, 2)]
    with pytest.raises(ValueError, match="width 25"):
        dashboard.layout([[dashboard.Widget("text", 25, 2, {"markdown": "a"})]])


def test_the_campaign_api_shows_requests_client_and_server_errors_and_latency_percentiles():
    shown = {
        (name, options.get("stat"))
        for namespace, name, dimensions, options in all_rows(body())
        if namespace == "AWS/ApiGateway" and dimensions == {"ApiId": API_ID}
    }
    assert {("Count", None), ("4xx", None), ("5xx", None), ("Latency", "p50"), ("Latency", "p99")} <= shown
    assert not any(namespace == "AWS/ApiGateway" for namespace, *_ in all_rows(body(api_id=None)))
