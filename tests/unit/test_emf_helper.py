"""tests/emf.py reads what Powertools Metrics really prints, including the default `service` dimension."""

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from components import dashboard
from handlers.shared import metrics as metric_names
from tests import emf


@pytest.fixture
def powertools_env(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CreativeAutomation/dev")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "parser")


def test_powertools_emits_each_metric_with_the_service_dimension_only(powertools_env, capsys):
    metrics = Metrics()  # namespace and service from the environment, as in the functions
    metrics.add_metric(name=metric_names.CAMPAIGNS_STARTED, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=metric_names.PRODUCTS_REUSED, unit=MetricUnit.Count, value=2)
    metrics.add_metric(name=metric_names.PRODUCTS_REUSED, unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()

    out = capsys.readouterr().out
    started = emf.metric(out, metric_names.CAMPAIGNS_STARTED)
    assert started.namespace == "CreativeAutomation/dev"
    assert started.unit == "Count"
    assert started.values == (1,)
    assert started.dimension_sets == [("service",)]
    assert started.dimensions == {"service": "parser"}
    # The dashboard and alarms query exactly this dimension set.
    assert started.dimension_sets == [(dashboard.SERVICE_DIMENSION,)]
    assert emf.metric(out, metric_names.PRODUCTS_REUSED).total == 3


def test_an_added_dimension_shows_in_the_dimension_set(powertools_env, capsys):
    metrics = Metrics()
    metrics.add_dimension(name="model", value="nova")
    metrics.add_metric(name=metric_names.MODEL_THROTTLES, unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()

    throttles = emf.metric(capsys.readouterr().out, metric_names.MODEL_THROTTLES)
    # A second dimension changes the metric's identity: the dashboard's {service} query would not match it.
    assert [set(dimension_set) for dimension_set in throttles.dimension_sets] == [{"service", "model"}]
    assert throttles.dimensions == {"model": "nova", "service": "parser"}


def test_log_lines_and_other_json_are_skipped_and_a_missing_metric_is_named():
    out = 'plain text\n{"level": "INFO", "message": "hello"}\n'
    assert emf.parse(out) == []
    with pytest.raises(AssertionError, match="CampaignsStarted"):
        emf.metric(out, metric_names.CAMPAIGNS_STARTED)


def test_a_declared_dimension_without_a_value_is_reported():
    line = (
        '{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [["service"]], '
        '"Metrics": [{"Name": "X", "Unit": "Count"}]}]}, "X": 1}'
    )
    with pytest.raises(AssertionError, match="service"):
        emf.parse(line)
