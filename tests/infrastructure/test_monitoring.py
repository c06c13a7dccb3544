"""Monitoring in both stacks under mocks: dashboard, alarms per function/queue/DLQ, thresholds, topic."""

import json

import pytest

from components.settings import Names
from tests.dashboard_view import metric_rows, validate
from tools.mock_stack import record, stand_ins

pytestmark = pytest.mark.slow  # the real program run under Pulumi's mocks

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
PIPELINE_SERVICES = ("parser", "generator", "variants", "api", "settler")


def function_services(recording) -> tuple[str, ...]:
    """The stack's functions: dev also has the image-push updater; prod (pinned) has none."""
    return PIPELINE_SERVICES + (("image-updater",) if recording.stack == "dev" else ())


def work_queue_names(recording) -> dict[str, str]:
    """Queues a function consumes: the briefs (parser), the failed invocations (settler)."""
    return {"briefs": names(recording).queue, "failed-invocations": f"{names(recording).prefix}-failed-invocations"}


def names(recording) -> Names:
    return Names("creative-automation", recording.stack)


def dlq_names(recording) -> dict[str, str]:
    prefix = names(recording).prefix
    return {
        "briefs-dlq": names(recording).dlq,
        "failed-invocations-dlq": f"{prefix}-failed-invocations-dlq",
        **({"image-updater-dlq": f"{prefix}-image-updater-dlq"} if recording.stack == "dev" else {}),
    }


def alarms_on(recording, metric: str, dimension: str, value: str):
    return [
        a
        for a in recording.of_type(ALARM)
        if a.inputs["metricName"] == metric and a.inputs["dimensions"].get(dimension) == value
    ]


def dashboard_body(recording) -> dict:
    return json.loads(recording.one(DASHBOARD).inputs["dashboardBody"])


def dashboard_dimension_values(recording) -> set[str]:
    return {
        value
        for w in dashboard_body(recording)["widgets"]
        if w["type"] == "metric"
        for _, _, dims, _ in metric_rows(w)
        for value in dims.values()
    }


def test_dashboard_exists_is_valid_and_exported(stack):
    dashboard = stack.one(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == names(stack).prefix
    validate(dashboard_body(stack))
    assert stack.outputs["dashboard_name"] == names(stack).prefix
    assert stack.outputs["alarm_topic_arn"] == stack.one(TOPIC).outputs["arn"]


def test_every_function_has_an_errors_alarm_and_is_on_the_dashboard(stack):
    shown = dashboard_dimension_values(stack)
    for service in function_services(stack):
        function = names(stack).function(service)
        alarms = alarms_on(stack, "Errors", "FunctionName", function)
        assert len(alarms) == 1, service
        assert alarms[0].inputs["namespace"] == "AWS/Lambda"
        assert alarms[0].inputs["period"] == 300  # "errors in 5 minutes"
        assert function in shown


def test_the_work_queues_alarm_on_oldest_message_age_and_are_on_the_dashboard(stack):
    for queue in work_queue_names(stack).values():
        [alarm] = alarms_on(stack, "ApproximateAgeOfOldestMessage", "QueueName", queue)
        assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
        assert queue in dashboard_dimension_values(stack)


def test_every_dlq_alarms_on_any_message_and_is_on_the_dashboard(stack):
    shown = dashboard_dimension_values(stack)
    for label, queue in dlq_names(stack).items():
        [alarm] = alarms_on(stack, "ApproximateNumberOfMessagesVisible", "QueueName", queue)
        assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
        assert queue in shown, label


def test_every_alarmed_resource_is_on_the_dashboard_and_every_alarm_on_its_alarm_widget(stack):
    shown = dashboard_dimension_values(stack)
    for alarm in stack.of_type(ALARM):
        assert set(alarm.inputs["dimensions"].values()) <= shown, alarm.name
    [alarm_widget] = [w for w in dashboard_body(stack)["widgets"] if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(a.outputs["arn"] for a in stack.of_type(ALARM))


def test_pipeline_alarms_watch_the_metrics_the_handlers_emit_with_the_service_dimension(dev):
    stack = dev
    namespace = f"CreativeAutomation/{stack.stack}"
    [throttles] = alarms_on(stack, "ModelThrottles", "service", "generator")
    [push_failed] = alarms_on(stack, "ImagePushFailed", "service", "image-updater")
    for alarm in (throttles, push_failed):
        assert alarm.inputs["namespace"] == namespace
        assert alarm.inputs["dimensions"] == {"service": alarm.inputs["dimensions"]["service"]}
        assert alarm.inputs["statistic"] == "Sum"
    assert push_failed.inputs["threshold"] == 1


def threshold(recording, metric, dimension, value):
    [alarm] = alarms_on(recording, metric, dimension, value)
    return alarm.inputs["threshold"]


def test_thresholds_come_from_settings_and_prod_is_stricter(dev, prod):
    expected = {"dev": (10, 20, 1800), "prod": (1, 5, 600)}  # Pulumi.<stack>.yaml alarms.*
    for recording in (dev, prod):
        n = names(recording)
        got = (
            threshold(recording, "Errors", "FunctionName", n.function("parser")),
            threshold(recording, "ModelThrottles", "service", "generator"),
            threshold(recording, "ApproximateAgeOfOldestMessage", "QueueName", n.queue),
        )
        assert got == expected[recording.stack]
    assert all(p < d for p, d in zip(expected["prod"], expected["dev"], strict=False))


def test_a_changed_threshold_setting_changes_the_alarm():
    recording = record("dev", {"alarms.functionErrors": 3})
    assert recording.error is None, recording.error
    assert threshold(recording, "Errors", "FunctionName", names(recording).function("generator")) == 3


def test_the_updater_function_alarms_on_any_error(dev, prod):
    assert threshold(dev, "Errors", "FunctionName", names(dev).function("image-updater")) == 1
    assert alarms_on(prod, "ImagePushFailed", "service", "image-updater") == []


def test_alarms_notify_the_topic_and_treat_missing_data_as_not_breaching(stack):
    topic_arn = stack.one(TOPIC).outputs["arn"]
    alarms = stack.of_type(ALARM)
    # functions, work queues, DLQs, failed pushes (dev), the API's 5xx, and for each function that calls an image
    # model (the generator; the variants, which outpaint) its throttles and its model refused
    assert len(alarms) == (
        len(function_services(stack))
        + len(work_queue_names(stack))
        + len(dlq_names(stack))
        + (1 if stack.stack == "dev" else 0)
        + 1
        + 2 * 2
    )
    # prod also publishes to the destination the deployer sets (the mocks' stand-in topic)
    actions = [topic_arn, *stand_ins(stack.stack).values()]
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == actions
        assert alarm.inputs["okActions"] == actions
        assert alarm.inputs["treatMissingData"] == "notBreaching"
        assert alarm.inputs["evaluationPeriods"] == 1
        assert alarm.inputs["name"].startswith(f"{names(stack).prefix}-")
        assert len(alarm.inputs["name"]) <= 255


def test_a_model_bedrock_refuses_alarms_at_its_first_refusal(stack):
    """A refused model (ended, not enabled) fails every product that needs it: one is enough to page someone."""
    refused = {a.inputs["name"]: a.inputs for a in stack.of_type(ALARM) if a.inputs["metricName"] == "ModelUnavailable"}
    prefix = names(stack).prefix
    assert set(refused) == {f"{prefix}-generator-model-unavailable", f"{prefix}-variants-model-unavailable"}
    for service in ("generator", "variants"):
        alarm = refused[f"{prefix}-{service}-model-unavailable"]
        assert alarm["namespace"] == f"CreativeAutomation/{stack.stack}"
        assert alarm["dimensions"] == {"service": service}
        assert (alarm["statistic"], alarm["period"], alarm["threshold"]) == ("Sum", 300, 1)
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_a_stack_without_an_outpaint_model_alarms_on_the_generator_s_model_only():
    alarms = {a.inputs["name"] for a in record("dev", {"bedrockOutpaintModelId": ""}).of_type(ALARM)}
    assert "creative-automation-dev-generator-model-unavailable" in alarms
    assert "creative-automation-dev-model-throttles" in alarms
    assert not any(name.startswith("creative-automation-dev-variants-model-") for name in alarms)


def test_topic_is_encrypted_with_a_key_cloudwatch_may_use(stack):
    key = stack.one("aws:kms/key:Key")
    assert stack.one(TOPIC).inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    statements = json.loads(key.inputs["policy"])["Statement"]
    cloudwatch = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert [sorted(s["Action"]) for s in cloudwatch] == [["kms:Decrypt", "kms:GenerateDataKey"]]
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert "*" not in actions and "kms:*" not in actions


def test_topic_policy_lets_only_this_stacks_alarms_and_failed_jobs_rule_publish(stack):
    policy = json.loads(stack.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    [statement, failed_jobs] = policy["Statement"]
    assert failed_jobs["Principal"] == {"Service": "events.amazonaws.com"}  # tests/infrastructure/test_batch_...
    assert failed_jobs["Condition"] == {
        "ArnEquals": {"aws:SourceArn": stack.one("aws:cloudwatch/eventRule:EventRule", "failed-jobs").outputs["arn"]}
    }
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == stack.one(TOPIC).outputs["arn"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    pattern = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    assert pattern == f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{names(stack).prefix}-*"
    assert all(a.outputs["arn"].startswith(pattern[:-1]) for a in stack.of_type(ALARM))


def test_dev_has_no_email_subscription_unless_configured(dev):
    assert dev.of_type(SUBSCRIPTION) == []


def test_prod_subscribes_no_address_the_deployer_has_not_set(prod):
    assert prod.of_type(SUBSCRIPTION) == []  # the committed file leaves alarms.email empty


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_email_subscription_when_configured(stack_name):
    recording = record(stack_name, {"alarms.email": "ops@acme.io"})
    assert recording.error is None, recording.error
    subscription = recording.one(SUBSCRIPTION)
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == "ops@acme.io"
    assert subscription.inputs["topic"] == recording.one(TOPIC).outputs["arn"]


def test_prod_refuses_a_documentation_address_before_any_resource():
    recording = record("prod", {"alarms.email": "platform-alerts@example.com"})
    assert "creative-automation:alarms.email is 'platform-alerts@example.com': a name reserved" in recording.error
    assert recording.resources == []


def test_prod_without_an_alarm_destination_fails_naming_both_keys():
    recording = record("prod", {"alarms.email": "", "alarms.topicArn": ""})
    assert "creative-automation:alarms.email" in recording.error
    assert "creative-automation:alarms.topicArn" in recording.error
    assert recording.resources == []
    dev = record("dev", {"alarms.email": ""})
    assert dev.error is None, "dev may deploy without a destination"


def test_an_existing_topic_gets_every_alarm_besides_the_stacks_own():
    team_topic = "arn:aws:sns:us-east-1:123456789012:platform-pager"
    recording = record("prod", {"alarms.email": "", "alarms.topicArn": team_topic})
    assert recording.error is None, recording.error
    own = recording.one(TOPIC).outputs["arn"]
    assert recording.outputs["alarm_topic_arn"] == own
    assert recording.of_type(SUBSCRIPTION) == []
    for alarm in recording.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [own, team_topic]
        assert alarm.inputs["okActions"] == [own, team_topic]


def test_a_malformed_topic_arn_fails_naming_the_key():
    recording = record("prod", {"alarms.topicArn": "platform-pager"})
    assert "creative-automation:alarms.topicArn is 'platform-pager'" in recording.error
    assert recording.resources == []


def test_a_malformed_email_fails_before_any_resource():
    recording = record("dev", {"alarms.email": "not-an-address"})
    assert "creative-automation:alarms.email" in recording.error
    assert recording.resources == []


def test_every_function_and_queue_the_stack_records_is_watched(stack):
    """From the recorded resources, not from lists of names: a function or queue added later and forgotten by
    the monitoring component fails here."""
    shown = dashboard_dimension_values(stack)
    functions = [f.inputs["name"] for f in stack.of_type("aws:lambda/function:Function")]
    queues = [q.inputs["name"] for q in stack.of_type("aws:sqs/queue:Queue")]
    assert len(functions) == len(function_services(stack))
    assert len(queues) == len(dlq_names(stack)) + len(work_queue_names(stack))
    for function in functions:
        assert function in shown and alarms_on(stack, "Errors", "FunctionName", function), function
    for queue in queues:
        alarmed = alarms_on(stack, "ApproximateNumberOfMessagesVisible", "QueueName", queue) + alarms_on(
            stack, "ApproximateAgeOfOldestMessage", "QueueName", queue
        )
        assert queue in shown and alarmed, queue


def test_the_api_answers_alarm_on_5xx_and_its_errors_and_latency_are_on_the_dashboard(stack):
    # The API's id is the first label of its endpoint's host: https://<id>.execute-api.<region>.amazonaws.com
    api_id = stack.one("aws:apigatewayv2/api:Api").outputs["apiEndpoint"].split("//")[1].split(".")[0]
    [alarm] = alarms_on(stack, "5xx", "ApiId", api_id)
    assert alarm.inputs["namespace"] == "AWS/ApiGateway"
    assert (alarm.inputs["statistic"], alarm.inputs["period"]) == ("Sum", 300)
    # Pulumi.<stack>.yaml alarms.functionErrors: as many 5xx answers as function errors raise an alarm
    assert alarm.inputs["threshold"] == {"dev": 10, "prod": 1}[stack.stack]
    shown = {
        (namespace, metric, options.get("stat") or widget["properties"]["stat"])
        for widget in dashboard_body(stack)["widgets"]
        if widget["type"] == "metric"
        for namespace, metric, dims, options in metric_rows(widget)
        if dims == {"ApiId": api_id}
    }
    assert {
        ("AWS/ApiGateway", "4xx", "Sum"),
        ("AWS/ApiGateway", "5xx", "Sum"),
        ("AWS/ApiGateway", "Latency", "p50"),
        ("AWS/ApiGateway", "Latency", "p99"),
    } <= shown
