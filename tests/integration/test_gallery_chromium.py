"""The gallery and the run index of a real local run, opened in headless Chromium (Debian's chromium, installed by
.ci/run)."""

from pathlib import Path

import pytest

from handlers.shared import gallery as gallery_page
from localrun import outputs
from localrun.run import SAMPLE_BRIEF, RunOptions, run
from tests.browser import Browser

pytestmark = [pytest.mark.chromium, pytest.mark.slow]  # tests/conftest.py: skipped without chromium, failed in CI
ARTIFACTS = Path(__file__).resolve().parents[2] / ".test-artifacts"


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return run(RunOptions(briefs=[SAMPLE_BRIEF], out=out, batching_window_seconds=0.2)), out


@pytest.fixture(scope="module")
def gallery(local_run):
    result, _ = local_run
    [(campaign_id, page)] = result.galleries.items()
    return result.campaigns[campaign_id], page


@pytest.fixture(scope="module")
def browser():
    chromium = Browser()
    yield chromium
    chromium.close()


def test_the_gallery_loads_without_errors_and_shows_every_variant(gallery, browser):
    manifest, page = gallery
    browser.open(page.as_uri())
    assert browser.errors() == []
    images = browser.evaluate("""[...document.images].map(i => ({src: i.getAttribute('src'), complete: i.complete,
        w: i.naturalWidth, h: i.naturalHeight, shownW: i.getBoundingClientRect().width,
        shownH: i.getBoundingClientRect().height}))""")
    by_src = {image["src"]: image for image in images}
    variants = [v for p in manifest["products"] for v in p["variants"]]
    assert len(variants) == 10
    for variant in variants:
        image = by_src[variant["key"].split(f"output/{manifest['campaign_id']}/", 1)[1]]
        assert image["complete"] and (image["w"], image["h"]) == (variant["width"], variant["height"])
        # Shown at its own aspect ratio (within a pixel of rounding).
        assert abs(image["shownW"] / image["shownH"] - variant["width"] / variant["height"]) < 0.02
    assert all(image["w"] > 0 for image in images)  # the sources too
    text = browser.evaluate("document.body.innerText")
    assert manifest["campaign_name"] in text and "1080 × 1920" in text and "COMPLETE" in text.upper()
    browser.screenshot(ARTIFACTS / "gallery.png")
    assert (ARTIFACTS / "gallery.png").stat().st_size > 10_000


def test_times_read_in_the_readers_locale_and_time_zone(browser, tmp_path):
    page = tmp_path / "index.html"
    manifest = {"campaign_id": "c-1a2b3c4d", "campaign_name": "Times", "status": "complete", "products": []}
    page.write_text(gallery_page.render(manifest | {"updated_at": "2026-11-25T05:00:00.000Z"}), encoding="utf-8")
    browser.call("Emulation.setTimezoneOverride", timezoneId="Asia/Tokyo")
    browser.call("Emulation.setLocaleOverride", locale="de-DE")
    try:
        browser.open(page.as_uri())
        shown = browser.evaluate("[...document.querySelectorAll('time')].map(t => t.textContent)")
    finally:
        browser.call("Emulation.setTimezoneOverride", timezoneId="")
        browser.call("Emulation.setLocaleOverride")
    assert shown == ["25.11.2026, 14:00"]  # 05:00 UTC is 14:00 in Tokyo, written as Germans write it


def test_the_run_index_lists_each_campaign_with_its_status_and_review_count_and_opens_its_gallery(local_run, browser):
    result, out = local_run
    latest = outputs.point_latest(out, result.campaigns, result.rejections, "summary")
    browser.open((latest / "index.html").as_uri())
    assert browser.errors() == []
    rows = browser.evaluate(
        "[...document.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    [campaign_id] = result.campaigns
    [row] = rows
    assert row[:6] == [f"Summer Splash 2026\n{campaign_id}", "COMPLETE", "2 of 2", "10", "0", "no model cost"]
    assert row[6] and "T" not in row[6]  # a time in the reader's words, not an ISO stamp
    browser.screenshot(ARTIFACTS / "run-index.png")
    browser.open(browser.evaluate("document.querySelector('tbody a').href"))
    assert browser.errors() == []
    assert browser.evaluate("document.querySelector('h1').innerText") == "Summer Splash 2026"
