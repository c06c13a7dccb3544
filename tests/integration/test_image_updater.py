"""The image-push updater against moto (ECR, Batch, Lambda), with the ECR events of the fixtures as they are."""

import importlib
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.ecr.models import Image, ecr_backends

from handlers.image_updater.events import parse
from handlers.image_updater.service import Target, UpdaterService
from localrun.lambda_context import LocalContext
from tests import emf
from tests.aws_events import fixture
from tests.dashboard_view import pipeline_series
from tests.quiet import Quiet

ACCOUNT, REGION, REPO = "123456789012", "us-west-2", "my-repository-name"
REPO_URL = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPO}"
PUSHED = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"  # the documented push's digest
OLD = "sha256:" + "0" * 64
JOB = "creative-automation-dev-rerender"
FUNCTION = "creative-automation-dev-parser"


def record_push(digest: str, tag: str = "latest") -> None:
    """An image as ECR holds it after a push (moto derives digests from manifests; the fixture's is given)."""
    repository = ecr_backends[ACCOUNT][REGION].repositories[REPO]
    repository.images.append(
        Image(ACCOUNT, tag, json.dumps({"schemaVersion": 2, "digest": digest}), REPO, digest=digest)
    )


def push_event(digest: str, tag: str = "latest", repository: str = REPO) -> dict:
    event = fixture("ecrdoc_image-push.json")
    event["detail"].update({"image-digest": digest, "image-tag": tag, "repository-name": repository})
    return event


JOB_DEFINITION = dict(
    jobDefinitionName=JOB,
    type="container",
    platformCapabilities=["FARGATE"],
    propagateTags=True,
    parameters={"campaign_id": "none"},
    tags={"team": "creative"},
    retryStrategy={"attempts": 3, "evaluateOnExit": [{"onStatusReason": "Host EC2*", "action": "RETRY"}]},
    timeout={"attemptDurationSeconds": 3600},
    containerProperties={
        "image": f"{REPO_URL}@{OLD}",
        "command": ["Ref::campaign_id"],
        "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "2048"}],
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/exec",
        "jobRoleArn": f"arn:aws:iam::{ACCOUNT}:role/job",
        "environment": [{"name": "S3_BUCKET_NAME", "value": "bucket"}],
        "secrets": [{"name": "API_KEY", "valueFrom": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/api-key"}],
        "networkConfiguration": {"assignPublicIp": "ENABLED"},
        "fargatePlatformConfiguration": {"platformVersion": "LATEST"},
    },
)


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        clients = {name: boto3.client(name, region_name=REGION) for name in ("ecr", "batch", "lambda", "iam")}
        clients["ecr"].create_repository(repositoryName=REPO)
        record_push(OLD)
        clients["batch"].register_job_definition(**JOB_DEFINITION)
        role = clients["iam"].create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        clients["lambda"].create_function(
            FunctionName=FUNCTION, Role=role, PackageType="Image", Code={"ImageUri": f"{REPO_URL}@{OLD}"}
        )
        targets = [
            Target("batch-worker", REPO, "latest", job_definition=JOB),
            Target("parser", REPO, "latest", function=FUNCTION),
        ]
        clients["service"] = UpdaterService(clients["batch"], clients["ecr"], clients["lambda"], targets, Quiet())
        yield clients


def revisions(aws) -> list[dict]:
    found = aws["batch"].describe_job_definitions(jobDefinitionName=JOB, status="ACTIVE")["jobDefinitions"]
    return sorted(found, key=lambda d: d["revision"])


def function_image(aws) -> str:
    return aws["lambda"].get_function(FunctionName=FUNCTION)["Code"]["ImageUri"]


@pytest.mark.parametrize("name", ["ecrdoc_image-push.json", "lambdago_ecr-image-push-event.json"])
def test_the_documented_push_registers_a_revision_and_moves_the_function(aws, name):
    record_push(PUSHED)
    outcome = aws["service"].handle(parse(fixture(name)))
    assert outcome.updated == [f"registered job definition {JOB}:2 (was 1)", f"updated function {FUNCTION}"]
    newest = revisions(aws)[-1]
    assert newest["containerProperties"]["image"] == f"{REPO_URL}@{PUSHED}"
    # The version it runs, under the tags the stack puts on its own revisions (docs/operations.md).
    assert newest["tags"] == {
        "team": "creative",
        "image-updater:previous-revision": "1",
        "creative-automation:image-tag": "latest",
        "creative-automation:image-digest": PUSHED,
    }
    assert function_image(aws) == f"{REPO_URL}@{PUSHED}"


@pytest.mark.parametrize(
    "name",
    [
        "ecrdoc_image-delete.json",
        "ecrdoc_image-scan-basic.json",
        "lambdago_ecr-image-scan-event.json",
        "powertools_eventBridgeEvent.json",
    ],
)
def test_deletions_scans_and_other_events_change_nothing(aws, name):
    outcome = aws["service"].handle(parse(fixture(name)))
    assert outcome.ignored and not outcome.updated
    assert len(revisions(aws)) == 1 and function_image(aws) == f"{REPO_URL}@{OLD}"


def test_other_repositories_and_untracked_tags_are_ignored(aws):
    assert "not this stack's" in aws["service"].handle(parse(push_event(PUSHED, repository="someone-else"))).ignored
    assert "not the tracked one" in aws["service"].handle(parse(push_event(PUSHED, tag="v9.9.9"))).ignored
    assert len(revisions(aws)) == 1


def test_job_definition_round_trips_every_field_but_image_and_tags(aws):
    record_push(PUSHED)
    aws["service"].handle(parse(push_event(PUSHED)))
    old, new = revisions(aws)
    for described in (old, new):
        for key in ("jobDefinitionArn", "revision"):
            described.pop(key)
    assert new["containerProperties"].pop("image") == f"{REPO_URL}@{PUSHED}"
    assert old["containerProperties"].pop("image") == f"{REPO_URL}@{OLD}"
    new_tags, old_tags = new.pop("tags"), old.pop("tags")
    assert new_tags == {
        **old_tags,
        "image-updater:previous-revision": "1",
        "creative-automation:image-tag": "latest",
        "creative-automation:image-digest": PUSHED,
    }
    assert new == old  # retry strategy, timeout, environment, secrets, parameters, platform capabilities...


def test_a_re_push_of_the_same_digest_registers_nothing(aws):
    record_push(PUSHED)
    aws["service"].handle(parse(push_event(PUSHED)))
    outcome = aws["service"].handle(parse(push_event(PUSHED)))
    assert outcome.updated == [] and len(outcome.skipped) == 2
    assert len(revisions(aws)) == 2


def test_a_new_digest_on_latest_is_a_new_revision_and_a_new_function_image(aws):
    record_push(PUSHED)
    aws["service"].handle(parse(push_event(PUSHED)))
    newer = "sha256:" + "c" * 64
    record_push(newer)
    outcome = aws["service"].handle(parse(push_event(newer)))
    assert len(outcome.updated) == 2
    assert [r["containerProperties"]["image"].rsplit("@", 1)[1] for r in revisions(aws)] == [OLD, PUSHED, newer]
    assert revisions(aws)[-1]["tags"]["image-updater:previous-revision"] == "2"
    assert function_image(aws) == f"{REPO_URL}@{newer}"


def test_a_push_of_an_image_ecr_does_not_hold_fails_and_changes_nothing(aws):
    with pytest.raises(Exception, match="ImageNotFound"):
        aws["service"].handle(parse(push_event("sha256:" + "d" * 64)))
    assert len(revisions(aws)) == 1


def every_outcome_through_the_handler(aws, monkeypatch, capsys) -> list[emf.EmfMetric]:
    """An applied push, an ignored deletion and a failed push through the real handler; the metrics it printed."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CreativeAutomation/test")  # read when Metrics is made
    app = importlib.import_module("handlers.image_updater.app")
    monkeypatch.setattr(app, "_service", aws["service"])
    record_push(PUSHED)
    capsys.readouterr()
    assert app.handler(push_event(PUSHED), LocalContext("creative-automation-dev-image-updater"))["updated"]
    app.handler(fixture("ecrdoc_image-delete.json"), LocalContext("creative-automation-dev-image-updater"))
    with pytest.raises(Exception, match="ImageNotFound"):
        app.handler(push_event("sha256:" + "e" * 64), LocalContext("creative-automation-dev-image-updater"))
    return emf.parse(capsys.readouterr().out)


def test_the_handler_reports_each_outcome_as_a_metric(aws, monkeypatch, capsys):
    emitted = every_outcome_through_the_handler(aws, monkeypatch, capsys)
    # Two updates (the job definition and the function), one of them a Batch revision.
    assert [(metric.name, metric.total) for metric in emitted] == [
        ("ImagePushUpdated", 2),
        ("JobDefinitionRevisionsRegistered", 1),
        ("ImagePushSkipped", 1),
        ("ImagePushFailed", 1),
    ]
    assert all(
        metric.namespace == "CreativeAutomation/test"
        and metric.dimension_sets == [("service",)]
        and metric.dimensions == {"service": "image-updater"}
        for metric in emitted
    )


def test_the_dashboard_shows_exactly_the_metrics_the_updater_emits(aws, monkeypatch, capsys):
    emitted = {
        (metric.name, metric.dimensions["service"])
        for metric in every_outcome_through_the_handler(aws, monkeypatch, capsys)
    }
    assert emitted == {(name, service) for name, service in pipeline_series() if service == "image-updater"}


class BusyLambda:
    """The moto Lambda client, except that UpdateFunctionCode meets another update in progress (a dev `pulumi up`
    changing the function's configuration) for its first `busy_for` calls, as Lambda answers then."""

    def __init__(self, client, busy_for: int):
        self.client, self.busy_for, self.code_updates = client, busy_for, 0

    def update_function_code(self, **kwargs):
        self.code_updates += 1
        if self.code_updates <= self.busy_for:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ResourceConflictException",
                        "Message": f"The operation cannot be performed at this time. An update is in progress "
                        f"for resource: arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}",
                    }
                },
                "UpdateFunctionCode",
            )
        return self.client.update_function_code(**kwargs)

    def __getattr__(self, name):
        return getattr(self.client, name)


def busy_service(aws, busy_for: int):
    waits: list[float] = []
    lambda_client = BusyLambda(aws["lambda"], busy_for)
    targets = [Target("parser", REPO, "latest", function=FUNCTION)]
    service = UpdaterService(
        aws["batch"], aws["ecr"], lambda_client, targets, Quiet(), settle_poll_seconds=0, sleep=waits.append
    )
    return service, lambda_client, waits


def test_an_update_in_progress_is_waited_out_and_the_function_ends_on_the_pushed_digest(aws):
    record_push(PUSHED)
    service, lambda_client, waits = busy_service(aws, busy_for=2)
    outcome = service.handle(parse(push_event(PUSHED)))
    assert outcome.updated == [f"updated function {FUNCTION}"]
    assert function_image(aws) == f"{REPO_URL}@{PUSHED}"
    assert lambda_client.code_updates == 3 and waits == [2, 4]  # two conflicts, backed off, then applied


def test_a_function_that_stays_busy_fails_the_run_so_eventbridge_retries_it(aws):
    record_push(PUSHED)
    service, lambda_client, waits = busy_service(aws, busy_for=99)
    with pytest.raises(ClientError, match="ResourceConflictException"):
        service.handle(parse(push_event(PUSHED)))
    assert lambda_client.code_updates == 5 and waits == [2, 4, 8, 16]
    assert function_image(aws) == f"{REPO_URL}@{OLD}"  # unchanged; the retried event moves it later
