"""The local run end to end: moto's server, the real parser/generator/variants, ./out with galleries.

Runs use a short batching window (0.2 s instead of the stack's 5 s) so the suite stays quick; everything
else (names, queue settings, redrive, async retries) is the dev stack's.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from localrun.cli import main
from localrun.run import SAMPLE_BRIEF, RunOptions, run
from tests.documented import CONTRACT_VARIANT_SIZES

pytestmark = pytest.mark.slow  # whole pipeline runs

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".test-artifacts"
BAD_BRIEF = {"campaign_name": "", "target_regions": "US", "products": [{"description": 5}]}


def options(briefs, out, **extra):
    return RunOptions(briefs=briefs, out=out, workers=4, batching_window_seconds=0.2, **extra)


@pytest.fixture(scope="module")
def folder_run(tmp_path_factory):
    """A folder with a good brief and a bad one; the good brief is uploaded twice (two versions of one key)."""
    briefs = tmp_path_factory.mktemp("briefs")
    shutil.copy(SAMPLE_BRIEF, briefs / "summer-splash.json")
    (briefs / "broken.json").write_text(json.dumps(BAD_BRIEF))
    out = tmp_path_factory.mktemp("out")
    files = sorted(briefs.glob("*.json"))
    result = run(options([*files, briefs / "summer-splash.json"], out))
    return result, out


def test_one_rejection_report_per_bad_brief_listing_every_violation(folder_run):
    result, out = folder_run
    [(key, report)] = result.rejections.items()
    assert key.startswith("output/rejected/broken/") and report["brief_key"].endswith("/broken.json")
    paths = {violation["path"] for violation in report["violations"]}
    assert len(paths) >= 3, report  # every violation, not only the first
    assert (out / "rejected" / "broken" / "report.json").is_file()  # the latest, where CONTRACT §3 says
    assert (out / key[len("output/") :]).is_file()  # and this upload's own
    assert result.dlq_messages == []  # a bad brief is reported, not retried


def test_each_good_upload_is_its_own_complete_campaign(folder_run):
    result, _ = folder_run
    assert len(result.campaigns) == 2  # the same key uploaded twice: two versions, two campaigns
    for manifest in result.campaigns.values():
        assert manifest["status"] == "complete", manifest
        assert manifest["brief_key"] == "input/campaign-briefs/summer-splash.json"
        sources = [p["image_source"] for p in manifest["products"]]
        assert sources == ["existing", "generated"]
    assert len({m["brief_version_id"] for m in result.campaigns.values()}) == 2
    assert result.ok and result.failed_invocations == []


def test_every_variant_is_downloaded_at_its_exact_size(folder_run):
    result, out = folder_run
    for campaign_id, manifest in result.campaigns.items():
        folder = out / campaign_id
        assert (folder / "manifest.json").is_file() and (folder / "index.html").is_file()
        for product in manifest["products"]:
            assert {v["name"] for v in product["variants"]} == set(CONTRACT_VARIANT_SIZES)
            for variant in product["variants"]:
                path = folder / variant["key"].split(f"output/{campaign_id}/", 1)[1]
                with Image.open(path) as image:
                    assert (image.format, image.size) == ("JPEG", CONTRACT_VARIANT_SIZES[variant["name"]])
                assert (variant["width"], variant["height"]) == CONTRACT_VARIANT_SIZES[variant["name"]]
        generated = manifest["products"][1]["source_key"]
        assert (folder / generated.split(f"output/{campaign_id}/", 1)[1]).is_file()
        assert (folder / "existing-assets" / "acme" / "citrus" / "product.png").is_file()  # linked by the gallery


def test_the_command_prints_a_summary_and_exits_zero(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("localrun.cli.RunOptions", lambda **kw: RunOptions(batching_window_seconds=0.2, **kw))
    assert main(["--out", str(tmp_path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    [gallery] = [page for page in tmp_path.glob("*/index.html") if page.parent.name != "latest"]
    assert (tmp_path / "latest" / "index.html").is_file()  # the run index beside the campaign's link
    assert "1 complete" in printed and "Variants    10" in printed and "0 message(s) in the DLQ" in printed
    assert gallery.parent.name in printed
    assert (tmp_path / "local-run.log").stat().st_size > 0  # the functions' logs, kept out of the terminal


def test_a_record_that_keeps_failing_reaches_the_dlq_and_the_run_fails(tmp_path):
    """Partial batch failure: the poisoned upload fails alone, is redelivered, and after maxReceiveCount
    the queue's redrive moves it to the DLQ; the good brief in the same batch completes."""
    briefs = tmp_path / "briefs"
    briefs.mkdir()
    shutil.copy(SAMPLE_BRIEF, briefs / "good.json")
    shutil.copy(SAMPLE_BRIEF, briefs / "poison.json")
    receives = []

    def poison_parser(service, module):
        if service != "parser":
            return
        real = module.service().handle

        def handle(upload):
            if upload.key.endswith("poison.json"):
                receives.append(upload.key)
                raise ConnectionError("stand-in: S3 unreachable for this brief")
            return real(upload)

        module.service().handle = handle

    result = run(
        options(
            sorted(briefs.glob("*.json")),
            tmp_path / "out",
            prepare_function=poison_parser,
            settings_overrides={
                "queue": {
                    "maxReceiveCount": 2,
                    "batchSize": 10,
                    "batchingWindowSeconds": 5,
                    "visibilityTimeoutSeconds": 1800,
                }
            },
        )
    )
    assert len(receives) == 2  # received maxReceiveCount times, then moved by the redrive policy
    [message] = result.dlq_messages
    assert "poison.json" in message["Body"]
    assert [m["status"] for m in result.campaigns.values()] == ["complete"]
    assert not result.ok


def test_an_invocation_that_keeps_failing_is_retried_then_recorded_as_failed(tmp_path):
    def broken_variants(service, module):
        if service == "variants":
            module.service().handle = lambda *args: (_ for _ in ()).throw(TimeoutError("stand-in: render hung"))

    result = run(options([SAMPLE_BRIEF], tmp_path / "out", prepare_function=broken_variants))
    assert result.invocations["variants"] == 2 * 3  # two products, each run 1 + maxRetryAttempts (2) times
    assert len(result.failed_invocations) == 2
    record = result.failed_invocations[0]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responsePayload"]["errorType"] == "TimeoutError"
    assert not result.ok and result.failed_campaigns


def test_the_parser_gets_lambda_shaped_sqs_events_and_failed_records_come_back(tmp_path):
    """A stand-in parser: the first batch raises (the whole batch returns), then the brief's record is
    reported failed once (it alone returns, received a third time)."""
    events = []

    def stand_in(service, module):
        if service != "parser":
            return

        def handler(event, context):
            events.append(event)
            if len(events) == 1:
                raise RuntimeError("stand-in: the function crashed")
            briefs = [r["messageId"] for r in event["Records"] if "ObjectCreated" in r["body"]]
            count = {r["messageId"]: r["attributes"]["ApproximateReceiveCount"] for r in event["Records"]}
            return {"batchItemFailures": [{"itemIdentifier": m} for m in briefs if count[m] == "2"]}

        module.handler = handler

    result = run(options([SAMPLE_BRIEF], tmp_path / "out", prepare_function=stand_in))
    receives = [
        (r["attributes"]["ApproximateReceiveCount"], "TestEvent" in r["body"])
        for event in events
        for r in event["Records"]
    ]
    assert sorted(receives) == [("1", False), ("1", True), ("2", False), ("2", True), ("3", False)]
    record = events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:creative-automation-dev-briefs"
    assert {"messageId", "receiptHandle", "body", "md5OfBody", "messageAttributes"} <= set(record)
    assert {"SentTimestamp", "ApproximateFirstReceiveTimestamp", "SenderId"} <= set(record["attributes"])
    assert result.dlq_messages == [] and result.parser_records_failed == 2 + 1


# What `make local` does not install (requirements-local.txt): the Pulumi SDKs, and the test and benchmark tools.
NOT_INSTALLED_BY_MAKE_LOCAL = ["pulumi", "pulumi_aws", "pulumi_docker", "pulumi_policy", "numpy", "fontTools", "cv2"]


def test_the_local_run_needs_nothing_that_make_local_does_not_install(tmp_path):
    blocked = ", ".join(f"{name!r}: None" for name in NOT_INSTALLED_BY_MAKE_LOCAL)
    program = (
        f"import sys; sys.modules.update({{{blocked}}})\n"  # `import pulumi` now fails, as in make local's .venv
        "from localrun.cli import main\n"
        f"sys.exit(main(['--quiet', '--out', {str(tmp_path)!r}]))\n"
    )
    ran = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.rstrip().endswith("Done.")
