"""The gallery of a real local run, opened in headless Chromium (Debian's chromium, installed by .ci/run)."""

from pathlib import Path

import pytest

from localrun.run import SAMPLE_BRIEF, RunOptions, run
from tests.browser import Browser

pytestmark = [pytest.mark.chromium, pytest.mark.slow]  # tests/conftest.py: skipped without chromium, failed in CI
ARTIFACTS = Path(__file__).resolve().parents[2] / ".test-artifacts"


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    result = run(RunOptions(briefs=[SAMPLE_BRIEF], out=tmp_path_factory.mktemp("out"), batching_window_seconds=0.2))
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
