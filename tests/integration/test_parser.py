"""The parser function against moto's S3 (server on 127.0.0.1), with the real SQS/S3 event shapes."""

import io
import json
import re
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from handlers.parser.service import ParserService
from handlers.shared.invoke import set_transport
from handlers.shared.manifest import ManifestStore
from localrun.lambda_context import LocalContext
from tests import emf
from tests.aws_events import fixture, fixture_names, s3_notification, sqs_event, sqs_record

BUCKET = "creative-automation-dev-123456789012-us-east-1"
BRIEFS = "input/campaign-briefs/"
CONTEXT = LocalContext("creative-automation-dev-parser")
CONTRACT_BRIEF = json.loads((Path(__file__).parents[2] / "samples" / "briefs" / "summer-splash.json").read_text())


@pytest.fixture
def parser(aws_endpoint, monkeypatch):
    """The parser's app module, pointed at an empty bucket, with invocations captured instead of sent."""
    monkeypatch.setenv("S3_BUCKET_NAME", BUCKET)
    monkeypatch.setenv("MAX_BRIEF_BYTES", "65536")
    monkeypatch.setenv("IMAGE_BACKEND", "local")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CreativeAutomation/test")
    from handlers.parser import app

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/citrus/product.png", Body=b"\x89PNG fake")
    invocations = []
    set_transport(lambda target, payload: invocations.append((target, payload)))
    monkeypatch.setattr(app, "_environment", None)  # read afresh, as a new container would
    # The handler's own client, so tests can hook into the calls it makes.
    monkeypatch.setattr(app, "_service", ParserService(s3, ManifestStore(s3, BUCKET), 65536, app.logger, app.metrics))
    app.s3 = s3
    app.invocations = invocations
    yield app
    set_transport(None)


def upload(s3, key: str, brief) -> str:
    body = brief if isinstance(brief, bytes) else json.dumps(brief).encode()
    response = s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return s3_notification(
        BUCKET, key, version_id=response.get("VersionId"), size=len(body), etag=response["ETag"].strip('"')
    )


def manifests(s3) -> dict:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="output/").get("Contents", [])]
    return {
        k.split("/")[1]: json.loads(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read())
        for k in keys
        if k.endswith("/manifest.json")
    }


def all_reports(s3) -> dict:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="output/rejected/").get("Contents", [])]
    return {k: json.loads(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()) for k in keys}


def reports(s3) -> dict:
    """The latest report of each brief file, where CONTRACT §3 puts it."""
    return {k: v for k, v in all_reports(s3).items() if k.endswith("/report.json")}


def failed_ids(response) -> set:
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def test_the_contract_brief_starts_a_campaign_and_routes_each_product(parser):
    event = sqs_event(upload(parser.s3, BRIEFS + "summer splash.json", CONTRACT_BRIEF))
    assert parser.handler(event, CONTEXT) == {"batchItemFailures": []}
    [(campaign_id, manifest)] = manifests(parser.s3).items()
    assert campaign_id.startswith("summer-splash-2026-")
    assert manifest["brief_key"] == BRIEFS + "summer splash.json"
    assert manifest["status"] == "processing" and manifest["expected_products"] == 2
    citrus, berry = manifest["products"]
    assert (citrus["image_source"], citrus["source_key"], citrus["status"]) == (
        "existing",
        "existing-assets/acme/citrus/product.png",
        "rendering",
    )
    assert (berry["image_source"], berry["source_key"], berry["status"]) == ("generated", None, "generating")
    assert manifest["brand_colors"] == ["#0A84FF", "#FFFFFF"]
    assert sorted(parser.invocations, key=lambda i: i[1]["product_index"]) == [
        (
            "VARIANTS_FUNCTION",
            {
                "campaign_id": campaign_id,
                "product_index": 0,
                "bucket": BUCKET,
                "source_key": "existing-assets/acme/citrus/product.png",
            },
        ),
        ("GENERATOR_FUNCTION", {"campaign_id": campaign_id, "product_index": 1, "bucket": BUCKET}),
    ]


def test_ten_records_with_three_bad_briefs(parser):
    bodies = []
    for i in range(10):
        brief = dict(CONTRACT_BRIEF, campaign_name=f"Campaign {i}")
        if i in (2, 5, 8):
            brief = {"campaign_name": f"Broken {i}", "products": []}
        bodies.append(upload(parser.s3, f"{BRIEFS}brief-{i}.json", brief))
    event = sqs_event(*bodies)
    response = parser.handler(event, CONTEXT)
    assert response == {"batchItemFailures": []}, "bad briefs are reported, not retried"
    assert len(manifests(parser.s3)) == 7
    found = reports(parser.s3)
    assert sorted(found) == [f"output/rejected/brief-{i}/report.json" for i in (2, 5, 8)]
    report = found["output/rejected/brief-5/report.json"]
    assert {v["path"] for v in report["violations"]} == {"$.campaign_message", "$.products"}
    assert report["brief_key"] == f"{BRIEFS}brief-5.json"


def test_a_failing_record_never_fails_its_neighbours(parser):
    good = upload(parser.s3, BRIEFS + "good.json", CONTRACT_BRIEF)
    event = sqs_event(good, "Test message.", json.dumps(fixture("s3doc_test-event-message.json")))
    response = parser.handler(event, CONTEXT)
    assert failed_ids(response) == {event["Records"][1]["messageId"]}
    assert len(manifests(parser.s3)) == 1


def test_same_upload_delivered_three_times_is_one_campaign_routed_once(parser):
    body = upload(parser.s3, BRIEFS + "dup.json", CONTRACT_BRIEF)
    for _ in range(3):
        assert parser.handler(sqs_event(body), CONTEXT) == {"batchItemFailures": []}
    parser.handler(sqs_event(body, body), CONTEXT)  # and twice in one batch
    assert len(manifests(parser.s3)) == 1
    assert sorted(p["product_index"] for _, p in parser.invocations) == [0, 1]


def test_a_new_upload_of_the_same_key_is_a_new_campaign(parser):
    parser.handler(sqs_event(upload(parser.s3, BRIEFS + "weekly.json", CONTRACT_BRIEF)), CONTEXT)
    parser.handler(sqs_event(upload(parser.s3, BRIEFS + "weekly.json", CONTRACT_BRIEF)), CONTEXT)
    assert len(manifests(parser.s3)) == 2
    assert len(parser.invocations) == 4


def test_unicode_and_plus_encoded_keys_reach_the_right_object(parser):
    key = BRIEFS + "你家娃🐱 summer+sale.json"
    assert parser.handler(sqs_event(upload(parser.s3, key, CONTRACT_BRIEF)), CONTEXT) == {"batchItemFailures": []}
    [manifest] = manifests(parser.s3).values()
    assert manifest["brief_key"] == key


def test_path_traversal_is_refused_and_nothing_outside_assets_is_read(parser):
    requested = []
    parser.s3.meta.events.register(
        "before-parameter-build.s3.*",
        lambda params, model, **_: requested.append((model.name, params.get("Key") or params.get("Prefix"))),
    )
    parser.s3.put_object(Bucket=BUCKET, Key="input/secret.json", Body=b"{}")
    requested.clear()
    attempts = [
        "../input/secret.json",
        "existing-assets/../input/secret.json",
        "/input/secret.json",
        "input/secret.json",
        "acme/%2e%2e/%2e%2e/input/secret.json",
    ]
    brief = dict(CONTRACT_BRIEF, products=[{"name": f"P{i}", "existing_assets": a} for i, a in enumerate(attempts)])
    parser.handler(sqs_event(upload(parser.s3, BRIEFS + "evil.json", brief)), CONTEXT)
    reads = [(op, key) for op, key in requested if op in ("GetObject", "ListObjectsV2", "HeadObject")]
    report = reports(parser.s3)["output/rejected/evil/report.json"]
    assert [v["path"] for v in report["violations"]] == [f"$.products[{i}].existing_assets" for i in range(5)]
    assert reads == [("GetObject", BRIEFS + "evil.json")], "only the brief itself was read"
    assert parser.invocations == []


def test_oversized_and_non_utf8_briefs_are_reported(parser):
    five_mb = 5 * 1024 * 1024
    big = json.dumps(CONTRACT_BRIEF).encode()
    big = big[:-1] + b', "pad": "' + b"x" * (five_mb - len(big) - 11) + b'"}'
    assert len(big) == five_mb
    parser.handler(
        sqs_event(
            upload(parser.s3, BRIEFS + "big.json", big),
            upload(parser.s3, BRIEFS + "latin1.json", '{"campaign_name": "Caf\xe9"}'.encode("latin-1")),
        ),
        CONTEXT,
    )
    found = reports(parser.s3)
    [too_big] = found["output/rejected/big/report.json"]["violations"]
    assert too_big["message"] == (
        "at most 64.0 KB (65,536 bytes) per brief; this brief is 5.0 MB (5,242,880 bytes). "
        "Split its products over several briefs"
    )
    assert "not UTF-8" in found["output/rejected/latin1/report.json"]["violations"][0]["message"]


def test_an_oversized_brief_announced_without_its_size_is_measured_not_downloaded(parser):
    big = b'{"pad": "' + b"x" * 200_000 + b'"}'
    body = json.loads(upload(parser.s3, BRIEFS + "sizeless.json", big))
    del body["Records"][0]["s3"]["object"]["size"]
    parser.handler(sqs_event(json.dumps(body)), CONTEXT)
    [violation] = reports(parser.s3)["output/rejected/sizeless/report.json"]["violations"]
    assert "this brief is 195.3 KB (200,011 bytes)" in violation["message"]


def test_s3_throttling_fails_only_that_record_and_its_redelivery_succeeds(parser):
    good = upload(parser.s3, BRIEFS + "good.json", CONTRACT_BRIEF)
    unlucky = upload(parser.s3, BRIEFS + "unlucky.json", dict(CONTRACT_BRIEF, campaign_name="Unlucky"))
    throttled = {"left": 1}

    def throttle(params, **_):
        if params.get("Key", "").endswith("unlucky.json") and throttled["left"]:
            throttled["left"] -= 1
            raise ClientError(
                {
                    "Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
                    "ResponseMetadata": {"HTTPStatusCode": 503},
                },
                "GetObject",
            )

    parser.s3.meta.events.register("before-parameter-build.s3.GetObject", throttle)
    event = sqs_event(good, unlucky)
    assert failed_ids(parser.handler(event, CONTEXT)) == {event["Records"][1]["messageId"]}
    assert len(manifests(parser.s3)) == 1
    assert failed_ids(parser.handler({"Records": [event["Records"][1]]}, CONTEXT)) == set()
    assert len(manifests(parser.s3)) == 2


def test_a_brief_that_is_not_json_gets_a_report_and_is_not_retried(parser):
    event = sqs_event(upload(parser.s3, BRIEFS + "notes.json", b"campaign_name: Summer\n"))
    assert failed_ids(parser.handler(event, CONTEXT)) == set()
    [violation] = reports(parser.s3)["output/rejected/notes/report.json"]["violations"]
    assert violation["path"] == "$" and "not valid JSON" in violation["message"]


def test_a_permanent_aws_error_moves_the_record_to_the_dlq_at_once(parser, monkeypatch):
    """AccessDenied will not heal by retrying: the record goes to the DLQ with its reason, not 5 times
    round the queue first; the good record beside it is processed; a transient error still retries."""
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="creative-automation-dev-briefs-dlq")["QueueUrl"]
    monkeypatch.setenv("DLQ_URL", dlq_url)
    good = upload(parser.s3, BRIEFS + "good.json", CONTRACT_BRIEF)
    denied = upload(parser.s3, BRIEFS + "denied.json", dict(CONTRACT_BRIEF, campaign_name="Denied"))
    throttled = upload(parser.s3, BRIEFS + "throttled.json", dict(CONTRACT_BRIEF, campaign_name="Throttled"))

    def refuse(params, **_):
        if params.get("Key", "").endswith("denied.json"):
            raise ClientError(
                {
                    "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
                    "ResponseMetadata": {"HTTPStatusCode": 403},
                },
                "GetObject",
            )
        if params.get("Key", "").endswith("throttled.json"):
            raise ClientError(
                {
                    "Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
                    "ResponseMetadata": {"HTTPStatusCode": 503},
                },
                "GetObject",
            )

    parser.s3.meta.events.register("before-parameter-build.s3.GetObject", refuse)
    event = sqs_event(good, denied, throttled)
    assert failed_ids(parser.handler(event, CONTEXT)) == {event["Records"][2]["messageId"]}  # only the transient one
    assert [m["campaign_name"] for m in manifests(parser.s3).values()] == ["Summer Splash 2026"]
    [message] = sqs.receive_message(QueueUrl=dlq_url, MessageAttributeNames=["All"], WaitTimeSeconds=0)["Messages"]
    assert message["Body"] == event["Records"][1]["body"]  # replayable by a DLQ redrive once access is fixed
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["error_code"] == "AccessDenied"
    assert attributes["source_message_id"] == event["Records"][1]["messageId"]


def test_a_failed_invocation_is_retried_without_routing_twice(parser):
    body = upload(parser.s3, BRIEFS + "flaky.json", CONTRACT_BRIEF)
    calls = []

    def flaky(target, payload):
        calls.append(payload["product_index"])
        if len(calls) == 2:
            raise ClientError(
                {
                    "Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 429},
                },
                "Invoke",
            )

    set_transport(flaky)
    assert len(parser.handler(sqs_event(body), CONTEXT)["batchItemFailures"]) == 1
    assert parser.handler(sqs_event(body), CONTEXT) == {"batchItemFailures": []}
    assert sorted(calls) == [0, 1, 1], "product 0 routed once; product 1 retried after its failed invoke"


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_that_can_reach_the_parser_is_handled(parser, name):
    data = fixture(name)
    if isinstance(data, list):  # raw SQS message bodies
        event = {"Records": [sqs_record(b if isinstance(b, str) else json.dumps(b)) for b in data]}
    elif isinstance(data, dict) and data.get("Records", [{}])[0].get("eventSource") == "aws:sqs":
        event = data
    else:  # an S3 (or other) notification, as the body of an SQS message
        event = sqs_event(json.dumps(data))
    response = parser.handler(event, CONTEXT)
    ids = {r["messageId"] for r in event["Records"]}
    assert failed_ids(response) <= ids
    not_s3 = {
        r["messageId"] for r in event["Records"] if '"Records"' not in r["body"] and "s3:TestEvent" not in r["body"]
    }
    assert failed_ids(response) == not_s3, "exactly the bodies that are not S3 notifications fail"
    assert manifests(parser.s3) == {}, "fixtures name other buckets and keys outside input/: nothing to start"


def test_logs_are_json_with_campaign_and_product_on_every_campaign_line(parser, capsys, monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(parser.logger.registered_handler, "stream", stream)
    capsys.readouterr()
    parser.handler(sqs_event(upload(parser.s3, BRIEFS + "logged.json", CONTRACT_BRIEF)), CONTEXT)
    printed = capsys.readouterr().out
    logs = [json.loads(line) for line in stream.getvalue().splitlines()]
    campaign_lines = [
        line for line in logs if line["message"] in ("campaign started", "product routed", "upload processed")
    ]
    assert len(campaign_lines) == 4
    [campaign_id] = manifests(parser.s3)
    assert all(line["campaign_id"] == campaign_id and line["service"] == "parser" for line in campaign_lines)
    assert sorted(line["product_index"] for line in logs if line["message"] == "product routed") == [0, 1]
    for name in ("CampaignsStarted", "ProductsReused"):
        metric = emf.metric(printed, name)
        assert (metric.namespace, metric.dimensions, metric.total) == (
            "CreativeAutomation/test",
            {"service": "parser"},
            1,
        )
        assert metric.dimension_sets == [("service",)]


def test_each_upload_of_a_bad_brief_keeps_its_own_report_and_the_latest_is_at_report_json(parser):
    bad = {"campaign_name": "Twice", "products": []}
    first = upload(parser.s3, BRIEFS + "twice.json", bad)
    second = upload(parser.s3, BRIEFS + "twice.json", dict(bad, campaign_message=""))
    parser.handler(sqs_event(first), CONTEXT)
    parser.handler(sqs_event(second), CONTEXT)
    parser.handler(sqs_event(first), CONTEXT)  # a redelivery of the first upload adds no third report
    found = all_reports(parser.s3)
    versions = [json.loads(body)["Records"][0]["s3"]["object"]["versionId"] for body in (first, second)]
    per_upload = sorted(k for k in found if not k.endswith("/report.json"))
    assert len(per_upload) == 2
    assert [found[k]["version_id"] for k in per_upload] == versions, "listed oldest first"
    for key, version in zip(per_upload, versions, strict=True):
        assert key.startswith("output/rejected/twice/") and key.endswith(version + ".json")
    assert found[per_upload[0]]["violations"] != found[per_upload[1]]["violations"]
    latest = found["output/rejected/twice/report.json"]
    assert latest["latest_report_key"] == "output/rejected/twice/report.json"
    assert latest["report_key"] in per_upload


# Briefs covering every report the parser writes, each with what it must say.
LIMIT = r"at (most|least) [\d,.]+ \w"
HOSTILE_BRIEFS = {
    "array.json": (b'[{"campaign_name": "A"}]', "this file holds an array of 1 item"),
    "scalar.json": (b"42", "this file holds a number (42)"),
    "dupes.json": (b'{"campaign_name": "A", "campaign_name": "B"}', 'the key "campaign_name" appears 2 times'),
    "latin1.json": ('{"campaign_name": "Caf\xe9"}'.encode("latin-1"), "not UTF-8 text: byte 22 is 0xe9"),
    "broken.json": (b'{"campaign_name": ', "not valid JSON"),
    "deep.json": (b"[" * 30_000 + b"]" * 30_000, "nests arrays or objects too deeply"),
    "huge.json": (b"{}" + b" " * 70_000, LIMIT),
    "many.json": (json.dumps(dict(CONTRACT_BRIEF, products=[{"name": "P"}] * 100)).encode(), LIMIT),
    "long.json": (json.dumps(dict(CONTRACT_BRIEF, campaign_message="m" * 2000)).encode(), LIMIT),
    "colors.json": (json.dumps(dict(CONTRACT_BRIEF, brand_colors=["#12"] * 11)).encode(), LIMIT),
    "nulls.json": (json.dumps(dict(CONTRACT_BRIEF, campaign_name=None, target_regions="US")).encode(), "found null"),
    "blank.json": (json.dumps(dict(CONTRACT_BRIEF, campaign_name=" ", products=[{}])).encode(), "not only spaces"),
    "escape.json": (
        json.dumps(dict(CONTRACT_BRIEF, products=[{"name": "x", "existing_assets": "../x"}])).encode(),
        "leads elsewhere",
    ),
    "notes.txt": (b"campaign_name: Summer", "ends in .txt"),
}
PYTHON_WORDS = (
    r"\b(None|NoneType|dict|str|int|float|bool|True|False|tuple|list)\b|is not of type|is a required property"
)
REGEX_BITS = r"\\S|\^#|\[0-9|\{6\}|\$'|does not match"


def test_every_report_the_parser_writes_is_short_plain_and_states_its_limits(parser):
    bodies = [upload(parser.s3, BRIEFS + name, body) for name, (body, _) in HOSTILE_BRIEFS.items()]
    assert parser.handler(sqs_event(*bodies), CONTEXT) == {"batchItemFailures": []}
    found = reports(parser.s3)
    assert len(found) == len(HOSTILE_BRIEFS), sorted(found)
    for name, (_, expected) in HOSTILE_BRIEFS.items():
        stem = name.rsplit(".", 1)[0]
        key = f"output/rejected/{stem}/report.json"
        text = parser.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        assert max(len(line) for line in text.splitlines()) <= 300, (name, text)
        assert not re.search(PYTHON_WORDS, text), (name, text)
        assert not re.search(REGEX_BITS, text), (name, text)
        messages = [v["message"] for v in found[key]["violations"]]
        pattern = expected if expected == LIMIT else re.escape(expected)
        assert any(re.search(pattern, m) for m in messages), (name, messages)
        for violation in found[key]["violations"]:
            assert violation["value"] is None or len(str(violation["value"])) <= 80, (name, violation)
            if expected == LIMIT and violation["path"] in ("$", "$.products", "$.campaign_message", "$.brand_colors"):
                assert re.search(LIMIT + r".*; this (brief )?(has|is) ", violation["message"]), (name, violation)


def test_a_missing_asset_fails_its_product_unrouted_and_is_counted_once_per_upload(parser, capsys):
    brief = dict(CONTRACT_BRIEF, products=[{"name": "Kiwi", "existing_assets": "acme/kiwi/"}, {"name": "Plain"}])
    body = upload(parser.s3, BRIEFS + "kiwi.json", brief)
    capsys.readouterr()
    for _ in range(2):  # the same upload delivered twice
        assert parser.handler(sqs_event(body), CONTEXT) == {"batchItemFailures": []}
    [manifest] = manifests(parser.s3).values()
    kiwi, plain = manifest["products"]
    assert (kiwi["status"], kiwi["error"]["code"]) == ("failed", "ExistingAssetMissing")
    assert [(target, p["product_index"]) for target, p in parser.invocations] == [("GENERATOR_FUNCTION", 1)]
    counted = emf.metrics(capsys.readouterr().out, "ExistingAssetsMissing")
    assert [metric.total for metric in counted] == [1.0]


def test_a_logo_is_recorded_and_a_missing_or_unreadable_one_rejects_the_brief_naming_the_key(parser):
    s3 = parser.s3
    s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/logo.png", Body=b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/logo.txt", Body=b"ACME Corp")
    s3.put_object(Bucket=BUCKET, Key="existing-assets/acme/empty.png", Body=b"")
    briefs = {
        "good.json": "acme/logo.png",
        "missing.json": "acme/nothing.png",
        "text.json": "existing-assets/acme/logo.txt",
        "empty.json": "acme/empty.png",
        "folder.json": "acme/",
    }
    events = [upload(s3, BRIEFS + name, {**CONTRACT_BRIEF, "logo": logo}) for name, logo in briefs.items()]
    assert parser.handler(sqs_event(*events), CONTEXT) == {"batchItemFailures": []}
    [manifest] = manifests(s3).values()
    assert manifest["logo_key"] == "existing-assets/acme/logo.png"
    found = {key.split("/")[2]: report["violations"] for key, report in reports(s3).items()}
    assert set(found) == {"missing", "text", "empty", "folder"}
    for name, violations in found.items():
        [violation] = violations
        assert violation["path"] == "$.logo", name
    assert "existing-assets/acme/nothing.png does not exist" in found["missing"][0]["message"]
    # What the file is, in words (never a Python bytes repr), then what a logo must be.
    assert "existing-assets/acme/logo.txt is a text file, not a PNG or JPEG image" in found["text"][0]["message"]
    assert "existing-assets/acme/empty.png is an empty file (0 bytes), not a PNG" in found["empty"][0]["message"]
    assert not any("b'" in v[0]["message"] for v in found.values())
    assert "is a folder" in found["folder"][0]["message"]


def test_framing_expand_is_recorded_and_an_unknown_framing_is_refused_in_plain_words(parser):
    s3 = parser.s3
    events = [
        upload(s3, BRIEFS + "expand.json", {**CONTRACT_BRIEF, "framing": "expand"}),
        upload(s3, BRIEFS + "stretch.json", {**CONTRACT_BRIEF, "framing": "stretch"}),
    ]
    assert parser.handler(sqs_event(*events), CONTEXT) == {"batchItemFailures": []}
    [manifest] = manifests(s3).values()
    assert manifest["framing"] == "expand"
    [(key, report)] = reports(s3).items()
    assert key.split("/")[2] == "stretch"
    [violation] = report["violations"]
    assert violation["path"] == "$.framing"
    assert violation["message"] == 'expected one of "auto", "expand"; found "stretch"'


def test_an_expand_brief_is_refused_where_no_model_paints_it(parser, monkeypatch):
    """A Bedrock stack without an outpaint model: the brief is refused with a report naming $.framing, before any
    product is started or paid."""
    from handlers.parser.service import ParserService
    from handlers.shared.manifest import ManifestStore

    refusing = ParserService(parser.s3, ManifestStore(parser.s3, BUCKET), 65536, parser.logger, parser.metrics)
    refusing.can_expand = False
    monkeypatch.setattr(parser, "_service", refusing)
    brief = dict(CONTRACT_BRIEF, framing="expand")
    event = sqs_event(upload(parser.s3, BRIEFS + "widen.json", brief))
    assert failed_ids(parser.handler(event, CONTEXT)) == set()
    assert manifests(parser.s3) == {} and parser.invocations == []
    report = json.loads(parser.s3.get_object(Bucket=BUCKET, Key="output/rejected/widen/report.json")["Body"].read())
    [violation] = report["violations"]
    assert violation["path"] == "$.framing" and violation["value"] == "expand"
    assert "needs an outpaint model" in violation["message"] and "bedrockOutpaintModelId" in violation["message"]
