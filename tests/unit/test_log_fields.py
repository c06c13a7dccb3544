"""Each call's log fields stay with that call when two threads run one handler at once, as the local run's
workers do (in Lambda a container runs one call at a time)."""

import io
import json
import logging
import threading

from aws_lambda_powertools import Logger, Metrics

from handlers.shared.payloads import RenderVariants
from handlers.shared.product_function import product_handler
from localrun.lambda_context import LocalContext


def test_two_threads_calling_one_handler_each_log_their_own_product_and_request_id(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    stream = io.StringIO()
    logger = Logger(service="log-fields-test", logger_handler=logging.StreamHandler(stream))
    both_started = threading.Barrier(2, timeout=10)

    def render(request, context):
        both_started.wait()  # each call has set its fields before either logs: the overlap the local run has
        logger.info("variants rendered")
        both_started.wait()
        logger.info("manifest written")
        return "complete"

    handler = product_handler(RenderVariants, logger, Metrics(service="log-fields-test"), render)
    calls = {0: "request-for-product-0", 1: "request-for-product-1"}
    threads = [
        threading.Thread(
            target=handler,
            args=(
                {"campaign_id": "tea-1a2b3c4d", "product_index": index, "bucket": "b", "source_key": "k.png"},
                LocalContext("creative-automation-dev-variants", aws_request_id=request_id),
            ),
        )
        for index, request_id in calls.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 4
    for line in lines:
        assert line["function_request_id"] == calls[line["product_index"]], line
        assert line["campaign_id"] == "tea-1a2b3c4d" and line["function_name"] == "creative-automation-dev-variants"
    assert sorted((line["message"], line["product_index"]) for line in lines) == [
        ("manifest written", 0),
        ("manifest written", 1),
        ("variants rendered", 0),
        ("variants rendered", 1),
    ]
    assert sorted(line["cold_start"] for line in lines if line["message"] == "variants rendered") == [False, True]


def test_fields_of_a_call_do_not_outlive_it(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    stream = io.StringIO()
    logger = Logger(service="log-fields-after", logger_handler=logging.StreamHandler(stream))
    handler = product_handler(RenderVariants, logger, Metrics(service="log-fields-after"), lambda r, c: "complete")
    handler(
        {"campaign_id": "tea-1a2b3c4d", "product_index": 3, "bucket": "b", "source_key": "k.png"},
        LocalContext("creative-automation-dev-variants"),
    )
    logger.info("between calls")
    [line] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert "product_index" not in line and "function_request_id" not in line
