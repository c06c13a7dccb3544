"""Cancel's pure rules: what a cancel request marks, how a campaign settles after it, and how the gallery and the
local run's summary say it."""

from pathlib import Path

from handlers.shared import gallery
from handlers.shared.lifecycle import record_generated, request_cancel, start_product
from handlers.shared.manifest import new_manifest, settle
from localrun.cli import summary
from localrun.run import RunResult


def campaign(*statuses: str) -> dict:
    return settle(
        new_manifest(
            campaign_id="spring-0a1b2c3d",
            brief={"campaign_name": "Spring", "campaign_message": "Fresh start"},
            brief_key="input/campaign-briefs/spring.json",
            products=[
                {"index": i, "name": f"Product {i}", "image_source": "generated", "status": status}
                for i, status in enumerate(statuses)
            ],
        )
    )


def statuses(manifest: dict) -> list[str]:
    return [p["status"] for p in manifest["products"]]


def test_a_cancel_skips_the_products_no_function_took_and_leaves_the_running_ones():
    manifest = campaign("pending", "generating", "rendering", "complete", "failed")
    request_cancel(manifest)
    assert statuses(manifest) == ["cancelled", "generating", "rendering", "complete", "failed"]
    assert manifest["products"][0]["error"]["code"] == "Cancelled"
    assert settle(manifest)["status"] == "processing", "two products are still being made"


def test_once_every_product_settled_a_cancelled_campaign_is_cancelled_whatever_finished_before():
    manifest = campaign("pending", "complete")
    request_cancel(manifest)
    assert settle(manifest)["status"] == "cancelled"
    still_running = campaign("rendering", "complete")
    request_cancel(still_running)
    still_running["products"][0]["status"] = "complete"  # its running function finished the product
    assert settle(still_running)["status"] == "cancelled"


def test_without_a_cancel_the_statuses_are_as_before():
    assert settle(campaign("complete", "complete"))["status"] == "complete"
    assert settle(campaign("complete", "failed"))["status"] == "partial"
    assert settle(campaign("failed", "failed"))["status"] == "failed"


def test_cancelling_twice_keeps_the_first_request_time():
    manifest = campaign("pending", "generating")
    request_cancel(manifest)
    first = manifest["cancel_requested_at"]
    manifest["products"][1]["status"] = "complete"
    request_cancel(manifest)
    assert manifest["cancel_requested_at"] == first
    assert statuses(manifest) == ["cancelled", "complete"]


def test_a_campaign_that_has_settled_is_not_changed_by_a_cancel():
    for finished in (campaign("complete", "complete"), campaign("complete", "failed")):
        before = dict(finished)
        request_cancel(finished)
        assert finished == before and settle(finished)["status"] == before["status"]


def test_a_function_starting_after_a_cancel_cancels_its_product_instead_of_starting():
    manifest = campaign("generating", "rendering")
    start_product(0, generation_attempts=1)(manifest)
    assert manifest["products"][0]["generation_attempts"] == 1 and statuses(manifest)[0] == "generating"
    request_cancel(manifest)
    start_product(1, status="rendering", render_attempts=1)(manifest)
    assert statuses(manifest) == ["generating", "cancelled"]
    assert "render_attempts" not in manifest["products"][1]


def test_an_image_recorded_after_a_cancel_is_kept_with_its_cost_and_the_product_ends_cancelled():
    manifest = campaign("generating")
    request_cancel(manifest)
    record_generated(0, generated_key="output/x/generated/00-product-0.png", cost_usd=0.04, status="rendering")(
        manifest
    )
    product = manifest["products"][0]
    assert product["status"] == "cancelled" and product["generated_key"].endswith(".png")
    assert settle(manifest)["total_cost_usd"] == 0.04


def test_the_gallery_says_in_words_that_the_campaign_was_cancelled_and_which_products_were_not_rendered():
    manifest = campaign("pending", "complete")
    request_cancel(manifest)
    page = gallery.render(settle(manifest))
    assert ">cancelled</span>" in page  # the campaign's and the product's badge
    assert "Cancelled: 1 of 2 product(s) were not rendered; finished before the cancel and kept below: 1" in page
    assert "Not rendered: the campaign was cancelled before this product was started" in page
    assert 'class="error"' not in page, "a cancel is not shown as an error"


def test_the_gallery_of_a_campaign_still_finishing_after_a_cancel_says_what_happens_next():
    manifest = campaign("pending", "rendering")
    request_cancel(manifest)
    page = gallery.render(settle(manifest))
    assert "Cancel requested: products already being made finish, the others are skipped" in page


def test_the_summary_counts_a_cancelled_campaign_and_names_its_skipped_products_without_calling_it_a_failure():
    manifest = campaign("pending", "complete")
    manifest["products"][1]["variants"] = []
    request_cancel(manifest)
    settle(manifest)
    result = RunResult(
        bucket="b",
        campaigns={manifest["campaign_id"]: manifest},
        rejections={},
        dlq_messages=[],
        failed_invocations=[],
        galleries={},
        uploads=1,
        invocations={},
        parser_batches=1,
        parser_records_failed=0,
        async_retries=0,
        wall_seconds=1.0,
    )
    printed = summary(result, Path("out"))
    assert "Campaigns   1 from 1 upload(s): 1 cancelled" in printed
    assert "Products    2 (1 not complete, 1 of them cancelled" in printed
    assert "  - Spring / Product 0: cancelled, the campaign was cancelled before this product was started" in printed
    assert result.ok and printed.endswith("Done.")
