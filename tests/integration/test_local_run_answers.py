"""The local run answers every upload and speaks in plain lines (issue 17): a batch with a good brief, a brief whose
existing asset is missing, a `.JSON` brief and a `.txt` file, run through `python -m localrun` as a person would."""

import contextlib
import io
import json
import shutil

import pytest

from localrun import cli
from localrun.progress import Progress
from localrun.run import SAMPLE_BRIEF, RunOptions


def run_cli(argv: list[str], results: list) -> tuple[int, str, str]:
    """`python -m localrun ARGS` with a short batching window; (exit status, stdout, stderr)."""
    real_run = cli.run
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "RunOptions", lambda **kw: RunOptions(batching_window_seconds=0.2, **kw))
        patch.setattr(cli, "run", lambda options: results.append(real_run(options)) or results[-1])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    briefs, assets = root / "briefs", root / "assets" / "acme" / "Lemon"
    briefs.mkdir()
    assets.mkdir(parents=True)
    (assets / "product.gif").write_bytes(b"GIF89a")  # the user's own asset: another case, and a GIF
    good = json.loads(SAMPLE_BRIEF.read_text())
    shutil.copy(SAMPLE_BRIEF, briefs / "good.json")
    lemon = [{"name": "Lemon Sparkling Water", "existing_assets": "acme/lemon/"}]
    (briefs / "missing.json").write_text(json.dumps(dict(good, campaign_name="Lemon Launch", products=lemon)))
    (briefs / "UPPER.JSON").write_text(json.dumps(dict(good, campaign_name="Upper", products=good["products"][:1])))
    (briefs / "notes.txt").write_text("campaign_name: Summer\n")
    results = []
    status, stdout, stderr = run_cli(
        ["--briefs", str(briefs), "--assets", str(root / "assets"), "--out", str(root / "out")], results
    )
    return status, stdout, stderr, results[0], root / "out"


def test_the_batch_gives_two_complete_campaigns_one_failed_product_and_one_report(mixed):
    status, _, _, result, _ = mixed
    by_name = {m["campaign_name"]: m for m in result.campaigns.values()}
    assert {name: m["status"] for name, m in by_name.items()} == {
        "Summer Splash 2026": "complete",
        "Lemon Launch": "failed",
        "Upper": "complete",
    }
    [lemon] = by_name["Lemon Launch"]["products"]
    assert lemon["error"]["code"] == "ExistingAssetMissing"
    assert (
        '"existing-assets/acme/Lemon/product.gif" (a GIF file, not PNG, JPEG or WebP; other letter case)'
        in (lemon["error"]["message"])
    )
    assert result.invocations.get("generator") == 1, "only the good brief's generated product reached the model"
    [report] = result.rejections.values()
    assert report["brief_key"] == "input/campaign-briefs/notes.txt"
    assert status == 1  # the failed product, and only it, makes the run fail


def test_the_summary_lists_each_rejected_upload_and_each_failed_product_with_its_campaign(mixed):
    _, stdout, _, _, out = mixed
    assert "Campaigns   3 from 4 upload(s): 2 complete, 1 failed" in stdout
    assert "Rejected    1 upload(s)" in stdout
    assert "  x notes.txt: the parser reads briefs named *.json (any letter case" in stdout
    assert '  ! Lemon Launch / Lemon Sparkling Water: failed ExistingAssetMissing: existing_assets "acme/lemon/"' in (
        stdout
    )
    assert "Products    4 (1 not complete, 0 generated instead of a missing existing asset)" in stdout
    assert stdout.rstrip().endswith("Finished with failures (exit status 1).")
    assert max(len(line) for line in stdout.splitlines()) < 400


def test_progress_is_plain_lines_when_not_a_terminal(mixed):
    _, _, stderr, _, _ = mixed
    assert "\r" not in stderr and "\x1b[" not in stderr  # no cursor movement in a log
    lines = stderr.splitlines()
    assert lines[0].startswith("Local run: 4 upload(s), 4 workers")
    assert "parse briefs: 4 of 4" in lines and "generate images: 1 of 1" in lines


def test_latest_points_at_the_newest_runs_campaigns(mixed, tmp_path):
    _, _, _, result, out = mixed
    latest = out / "latest"
    assert sorted(p.name for p in latest.iterdir() if p.is_symlink()) == sorted(result.campaigns)
    assert all((latest / cid / "index.html").is_file() for cid in result.campaigns)
    # A second run into the same folder: latest now holds only its campaign; the first run's stay in out/.
    status, _, _ = run_cli(["--brief", str(SAMPLE_BRIEF), "--out", str(out), "--quiet"], second := [])
    [newest] = second[0].campaigns
    assert status == 0
    assert [p.name for p in latest.iterdir() if p.is_symlink()] == [newest]
    assert all((out / cid).is_dir() for cid in result.campaigns)
    assert "Campaigns   1 from 1 upload(s): 1 complete" in (latest / "summary.txt").read_text()


def test_a_good_brief_beside_a_rejected_upload_exits_zero(tmp_path):
    briefs = tmp_path / "briefs"
    briefs.mkdir()
    shutil.copy(SAMPLE_BRIEF, briefs / "good.json")
    (briefs / "notes.txt").write_text("not a brief")
    status, stdout, _ = run_cli(["--briefs", str(briefs), "--out", str(tmp_path / "out"), "--quiet"], [])
    assert status == 0 and "Rejected    1 upload(s)" in stdout and stdout.rstrip().endswith("Done.")


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["--brief", "no/such/brief.json"], "make local: --brief no/such/brief.json: no such file"),
        (["--briefs", "no/such/folder"], "make local: --briefs no/such/folder: not a folder"),
        (["--assets", "no/such/folder"], "make local: --assets no/such/folder: not a folder"),
        (["--out", "{file}"], "make local: --out {file}: is a file; give a folder (it is created if missing)"),
        (["--out", "{file}/sub"], "make local: cannot use {file}/sub: Not a directory"),
        (["--briefs", "{empty}"], "make local: --briefs {empty}: the folder has no files to upload"),
    ],
)
def test_command_line_mistakes_are_one_line_on_stderr(tmp_path, capsys, argv, expected):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "empty").mkdir()
    places = {"file": tmp_path / "a-file", "empty": tmp_path / "empty"}
    assert cli.main([arg.format(**places) for arg in argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [expected.format(**places)] and captured.out == ""


def test_plain_progress_lines_count_each_stage():
    stream = io.StringIO()
    progress = Progress(show=True, stream=stream)
    progress.expect("parse", 2)
    progress.advance("parse", 0)  # a message announcing no upload (S3's test event): no line
    progress.advance("parse")
    progress.expect("render")
    progress.advance("render")
    assert stream.getvalue().splitlines() == ["parse briefs: 1 of 2", "render variants: 1 of 1"]


def test_a_bad_brief_uploaded_twice_is_two_reports_and_the_counts_add_up(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"campaign_name": "Twice", "products": []}))
    status, stdout, _ = run_cli(
        ["--brief", str(bad), "--brief", str(bad), "--brief", str(SAMPLE_BRIEF), "--out", str(tmp_path / "out")], []
    )
    assert status == 0
    assert "Campaigns   1 from 3 upload(s): 1 complete" in stdout and "Rejected    2 upload(s)" in stdout
    reports = sorted((tmp_path / "out" / "rejected" / "bad").glob("*.json"))
    assert len(reports) == 3  # two uploads' own reports, and report.json, the latest
    assert stdout.count('  x bad.json: $.campaign_message: missing: every brief needs a "campaign_message" field') == 2


def test_the_summary_shows_each_substituted_asset_with_its_campaign(tmp_path):
    from localrun.run import RunResult

    product = {
        "name": "Lime",
        "status": "complete",
        "variants": [],
        "asset_substitution": {"requested": "acme/Citrus/", "reason": "..."},
    }
    manifest = {"campaign_name": "Stand-in", "status": "complete", "products": [product]}
    result = RunResult("b", {"stand-in-1": manifest}, {}, [], [], {}, 1, {}, 1, 0, 0, 1.0)
    text = cli.summary(result, tmp_path)
    assert "Products    1 (0 not complete, 1 generated instead of a missing existing asset)" in text
    assert (
        '  ~ Stand-in / Lime: generated instead of the missing existing asset "acme/Citrus/" '
        "(the brief allows it: on_missing_asset)"
    ) in text.splitlines()
