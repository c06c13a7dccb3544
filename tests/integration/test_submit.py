"""tools/submit.py against moto: the campaign id it waits for is the one the parser gives the upload."""

import json

import boto3
import pytest

import localrun  # noqa: F401
from handlers.shared.invoke import set_transport
from localrun.lambda_context import LocalContext
from localrun.run import SAMPLE_BRIEF, upload_existing_assets
from tests.aws_events import s3_notification, sqs_event
from tools import submit

BUCKET = "creative-automation-dev-123456789012-us-east-1"


@pytest.fixture
def pipeline(aws_endpoint, monkeypatch, function_environment):
    """The real functions, run synchronously when the test's 'clock' ticks (as the stack would, meanwhile)."""
    function_environment(BUCKET)
    from handlers.generator import app as generator_app
    from handlers.parser import app as parser_app
    from handlers.variants import app as variants_app

    for module in (parser_app, generator_app, variants_app):
        monkeypatch.setattr(module, "_service", None)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    upload_existing_assets(s3, BUCKET)
    targets = {"GENERATOR_FUNCTION": generator_app, "VARIANTS_FUNCTION": variants_app}
    set_transport(lambda env, payload: targets[env].handler(payload, LocalContext(env)))

    def deliver_uploads():
        """S3 -> SQS -> parser for every brief uploaded so far (the newest version of each)."""
        for version in s3.list_object_versions(Bucket=BUCKET, Prefix="input/")["Versions"]:
            if version["IsLatest"]:
                body = s3_notification(
                    BUCKET,
                    version["Key"],
                    version_id=version["VersionId"],
                    etag=version["ETag"].strip('"'),
                    size=version["Size"],
                )
                parser_app.handler(sqs_event(body), LocalContext("parser"))

    yield s3, deliver_uploads
    set_transport(None)


def test_submit_waits_for_the_parsers_campaign_and_downloads_it(pipeline, tmp_path):
    s3, deliver = pipeline
    said = []
    status = submit.submit(s3, BUCKET, SAMPLE_BRIEF, tmp_path, interval=0, sleep=lambda _: deliver(), say=said.append)
    assert status == 0, said
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir()]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete" and folder.name == manifest["campaign_id"]
    assert len(list(folder.glob("variants/*/*.jpg"))) == 10
    assert (folder / "index.html").is_file()
    assert any("gallery" in line for line in said)


def test_a_rejected_brief_is_reported_with_its_violations(pipeline, tmp_path):
    s3, deliver = pipeline
    brief = tmp_path / "broken.json"
    brief.write_text(json.dumps({"campaign_name": "x", "products": []}))
    said = []
    assert (
        submit.submit(s3, BUCKET, brief, tmp_path / "out", interval=0, sleep=lambda _: deliver(), say=said.append) == 1
    )
    assert (tmp_path / "out" / "rejected" / "broken" / "report.json").is_file()
    assert any("rejected" in line for line in said) and any("products" in line for line in said)


def test_a_campaign_that_does_not_settle_in_time_exits_2(pipeline, tmp_path):
    s3, _ = pipeline
    said = []
    assert submit.submit(s3, BUCKET, SAMPLE_BRIEF, tmp_path, timeout=0.05, interval=0.01, say=said.append) == 2
    assert "timed out" in said[-1]


def one_line_error(capsys, argv) -> str:
    assert submit.main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()  # one line, no traceback
    return line


def test_without_credentials_the_tool_says_so_in_one_line(capsys, monkeypatch, tmp_path):
    """A session whose credential chain finds nothing (as on a laptop never set up for AWS)."""
    import botocore.session

    empty = botocore.session.Session()
    empty.get_component("credential_provider").providers = []
    session = boto3.Session(botocore_session=empty, region_name="us-east-1")
    monkeypatch.setattr(boto3, "client", lambda name, **kw: session.client(name, **kw))
    line = one_line_error(capsys, [str(SAMPLE_BRIEF), "--bucket", BUCKET, "--out", str(tmp_path / "out")])
    assert (
        line == "tools.submit: no AWS credentials found: run `aws configure` (or `aws sso login`), or set AWS_PROFILE"
    )


def test_without_network_the_tool_says_so_in_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    line = one_line_error(capsys, [str(SAMPLE_BRIEF), "--bucket", BUCKET, "--out", str(tmp_path / "out")])
    assert line.startswith("tools.submit: cannot reach AWS (") and line.endswith("): check the network")


def test_a_missing_bucket_a_missing_brief_and_a_file_as_out_each_get_one_line(aws_endpoint, capsys, tmp_path):
    line = one_line_error(capsys, [str(SAMPLE_BRIEF), "--bucket", "no-such-bucket", "--out", str(tmp_path / "out")])
    assert line == "tools.submit: bucket no-such-bucket does not exist here: check --bucket, the stack, and AWS_REGION"
    line = one_line_error(capsys, [str(tmp_path / "nope.json"), "--bucket", BUCKET])
    assert line == f"tools.submit: {tmp_path / 'nope.json'}: no such file"
    (tmp_path / "a-file").write_text("x")
    line = one_line_error(capsys, [str(SAMPLE_BRIEF), "--bucket", BUCKET, "--out", str(tmp_path / "a-file")])
    assert line == f"tools.submit: --out {tmp_path / 'a-file'}: is a file; give a folder (it is created if missing)"
