"""A brief named in Arabic with Japanese, Thai and Hindi products, through the whole local run: the folders a
person opens read as the names (CONTRACT §3), and the manifest and gallery keep the names as written."""

import json

import pytest

from localrun.run import RunOptions, run

pytestmark = pytest.mark.slow  # a whole pipeline run

BRIEF = {
    "campaign_name": "حملة الصيف",  # summer campaign
    "campaign_message": "Stay cool all summer",
    "target_audience": "Tea lovers",
    "target_regions": ["JP", "TH", "IN"],
    "products": [
        {"name": "抹茶ラテ", "description": "Matcha latte"},
        {"name": "ชาเขียว", "description": "Green tea"},
        {"name": "मसाला चाय", "description": "Masala chai"},
    ],
}


def test_campaign_and_product_folders_read_as_the_names(tmp_path):
    brief = tmp_path / "tea.json"
    brief.write_text(json.dumps(BRIEF, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    result = run(RunOptions(briefs=[brief], out=out, batching_window_seconds=0.2))
    [(campaign_id, manifest)] = result.campaigns.items()
    assert manifest["status"] == "complete"
    assert campaign_id.startswith("hmlh-lsyf-")
    assert sorted(p.name for p in (out / campaign_id / "variants").iterdir()) == [
        "00-mocharate",
        "01-chaekhiyw",
        "02-msala-cay",
    ]
    assert [p["name"] for p in manifest["products"]] == ["抹茶ラテ", "ชาเขียว", "मसाला चाय"]
    page = (out / campaign_id / "index.html").read_text(encoding="utf-8")
    assert all(name in page for name in ("حملة الصيف", "抹茶ラテ", "ชาเขียว", "मसाला चाय"))
