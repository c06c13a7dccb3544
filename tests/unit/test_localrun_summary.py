"""The local run's summary names every variant that needs a look, and why."""

from pathlib import Path

from localrun.cli import summary
from localrun.run import RunResult


def variant(name, locale=None, reasons=()):
    return {
        **({"locale": locale} if locale else {}),
        "name": name,
        "width": 1080,
        "height": 1080,
        "key": f"output/c/variants/00-citrus/{name}.jpg",
        "check": {"needs_review": bool(reasons), "reasons": list(reasons)},
    }


def result(products) -> RunResult:
    manifest = {"campaign_id": "c", "status": "complete", "products": products}
    return RunResult(
        bucket="b",
        campaigns={"c": manifest},
        rejections={},
        dlq_messages=[],
        failed_invocations=[],
        galleries={"c": Path("out/c/index.html")},
        uploads=1,
        invocations={},
        parser_batches=1,
        parser_records_failed=0,
        async_retries=0,
        wall_seconds=1.0,
    )


def test_the_summary_lists_the_variants_that_need_a_look():
    products = [
        {
            "name": "Citrus",
            "status": "complete",
            "variants": [
                variant("instagram-square"),
                variant("instagram-story", "ja-JP", ["source enlarged 2.6x (more than 2x): may look soft"]),
            ],
        },
        {"name": "Berry", "status": "complete", "variants": [variant("facebook-feed", None, ["a", "b"])]},
    ]
    printed = summary(result(products), Path("out"))
    assert "Review      2 variant(s) need a look:" in printed
    assert "  ? Citrus ja-JP/instagram-story: source enlarged 2.6x (more than 2x): may look soft" in printed
    assert "  ? Berry facebook-feed: a; b" in printed
    assert "instagram-square" not in printed


def test_the_summary_says_when_no_variant_needs_a_look():
    printed = summary(result([{"name": "Citrus", "status": "complete", "variants": [variant("x")]}]), Path("out"))
    assert "Review      0 variant(s) need a look" in printed and "  ?" not in printed
