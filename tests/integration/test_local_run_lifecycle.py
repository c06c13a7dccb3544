"""Acceptance: no local campaign stays `processing`. An asynchronous invocation Lambda drops (retries exhausted)
reaches the settler through the failed-invocations queue and settles its product `failed` with the reason; a
product whose event vanished without a record is settled by the closing sweep; the campaign finishes and the
summary says so."""

from pathlib import Path

import pytest

from localrun.cli import summary
from localrun.run import SAMPLE_BRIEF, RunOptions, run

pytestmark = pytest.mark.slow  # whole pipeline runs

BERRY = 1  # the sample brief's product made by the image model; Citrus (0) uses an existing asset


def options(out, prepare):
    return RunOptions(briefs=[SAMPLE_BRIEF], out=out, workers=4, batching_window_seconds=0.2, prepare_function=prepare)


def test_a_dropped_invocation_settles_its_product_failed_and_the_campaign_partial(tmp_path):
    def berry_render_hangs(service, module):
        if service != "variants":
            return
        handle = module.service().handle

        def hangs_for_berry(campaign_id, index, source_key):
            if index == BERRY:  # like a Lambda timeout: the function dies without settling its product
                raise TimeoutError("stand-in: Task timed out after 180.00 seconds")
            return handle(campaign_id, index, source_key)

        module.service().handle = hangs_for_berry

    result = run(options(tmp_path / "out", berry_render_hangs))

    [manifest] = result.campaigns.values()
    citrus, berry = manifest["products"]
    assert citrus["status"] == "complete"
    assert berry["status"] == "failed"
    assert berry["error"]["code"] == "RetriesExhausted"
    assert berry["error"]["message"] == (
        "creative-automation-dev-variants failed on every attempt (3) and Lambda stopped retrying. "
        "The last error: TimeoutError: stand-in: Task timed out after 180.00 seconds"
    )
    assert manifest["status"] == "partial"
    assert len(result.failed_invocations) == 1 and not result.ok

    printed = summary(result, tmp_path / "out")
    assert "Campaigns   1 from 1 upload(s): 1 partial" in printed
    assert (
        "  ! Summer Splash 2026 / Berry Sparkling Water: failed RetriesExhausted: creative-automation-dev-variants "
        "failed on every attempt (3) and Lambda stopped retrying." in printed
    )
    assert "1 failed invocation(s)" in printed
    page = Path(result.galleries[manifest["campaign_id"]]).read_text()
    assert "Lambda stopped retrying" in page and ">partial</span>" in page


def test_a_product_whose_event_vanished_is_settled_by_the_closing_sweep(tmp_path):
    def generator_loses_its_variants_event(service, module):
        if service == "generator":
            module.service().invoke = lambda payload: None  # accepted, then lost: no on-failure record either

    result = run(options(tmp_path / "out", generator_loses_its_variants_event))

    [manifest] = result.campaigns.values()
    berry = manifest["products"][BERRY]
    assert (berry["status"], berry["error"]["code"]) == ("failed", "NoProgress")
    assert berry["error"]["message"].startswith("no progress for 74 minutes: its function never finished")
    assert manifest["status"] == "partial"
    assert result.failed_invocations == [] and result.swept == {"open": 1, "closed": 1, "settled": 1}
    printed = summary(result, tmp_path / "out")
    assert (
        "Sweep       1 campaign(s) still open when nothing was left to run: their unfinished products settled failed"
        in printed
    )
