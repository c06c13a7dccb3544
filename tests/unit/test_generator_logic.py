"""Generator logic: prompts, request/response adapters per model family (pure)."""

import base64
import json

import pytest

from handlers.generator.models import (
    FAMILIES,
    ContentFiltered,
    ImageRequest,
    ModelError,
    family,
    image_from_response,
    model_table,
    price,
    request_body,
    seed_for,
)
from handlers.generator.prompt import build_prompt, color_name

CAMPAIGN = {
    "campaign_message": "Stay cool all summer",
    "target_audience": "Active adults 25-40",
    "target_regions": ["US", "CA"],
    "brand_colors": ["#0A84FF", "#FFFFFF"],
}
PRODUCT = {"name": "Berry Sparkling Water", "description": "Sparkling water with raspberry"}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def test_prompt_names_product_description_audience_regions_and_colours():
    prompt = build_prompt(PRODUCT, CAMPAIGN)
    for part in (
        "Berry Sparkling Water",
        "Sparkling water with raspberry",
        "Active adults 25-40",
        "US, CA",
        "bright blue (#0A84FF)",
        "white (#FFFFFF)",
    ):
        assert part in prompt
    assert "Stay cool" not in prompt, "the message is laid over by the variants, not drawn by the model"


def test_prompt_copes_with_a_bare_product_and_respects_the_length_limit():
    assert build_prompt({"name": "Mug"}, {}).startswith("Professional advertising product photograph of Mug.")
    long = build_prompt({"name": "Mug", "description": "very " * 400}, CAMPAIGN, max_chars=512)
    assert len(long) <= 512 and long.endswith(".")


def test_colour_names_are_nearest_named_colours():
    assert color_name("#fe0101") == "red (#FE0101)"


def test_seed_is_stable_per_prompt():
    assert seed_for("a") == seed_for("a") != seed_for("b")
    assert 0 <= seed_for("a") < 2147483647


REQUEST = ImageRequest(prompt="a bottle", negative_prompt="text", seed=42)


@pytest.mark.parametrize(
    "model_id,expected_family",
    [
        ("amazon.nova-canvas-v1:0", "amazon-image"),
        ("amazon.titan-image-generator-v2:0", "amazon-image"),
        ("stability.stable-diffusion-xl-v1", "stability-sdxl"),
        ("stability.sd3-5-large-v1:0", "stability-image"),
        ("stability.stable-image-core-v1:1", "stability-image"),
        ("stability.stable-image-ultra-v1:1", "stability-image"),
    ],
)
def test_every_known_model_has_a_family(model_id, expected_family):
    assert family(model_id) == expected_family


def test_every_model_in_the_table_has_an_adapter_and_a_price():
    # price() runs after the image is paid for: it must never fail for a model the settings accept.
    for model_id, entry in model_table().items():
        assert entry["family"] in FAMILIES and family(model_id) == entry["family"], model_id
        assert isinstance(entry["usd_per_image"], (int, float)) and 0 < price(model_id) < 1, model_id
        assert request_body(model_id, REQUEST), model_id


def test_titan_v1_costs_its_standard_quality_1024_price():
    assert price("amazon.titan-image-generator-v1") == 0.01  # 0.012 is the premium price


def seed_sent(model_id: str, seed: int) -> int:
    body = request_body(model_id, ImageRequest(prompt="a bottle", negative_prompt="text", seed=seed))
    return body["imageGenerationConfig"]["seed"] if "imageGenerationConfig" in body else body["seed"]


SEED_LIMITS = {  # the largest seed each model accepts (AWS model parameter docs)
    "amazon.nova-canvas-v1:0": 858_993_459,
    "amazon.titan-image-generator-v1": 2_147_483_646,
    "amazon.titan-image-generator-v2:0": 2_147_483_646,
    "stability.stable-diffusion-xl-v1": 4_294_967_295,
    "stability.sd3-5-large-v1:0": 4_294_967_294,
    "stability.stable-image-core-v1:1": 4_294_967_294,
    "stability.stable-image-ultra-v1:1": 4_294_967_294,
}


def test_every_model_in_the_table_has_a_known_seed_limit():
    assert set(SEED_LIMITS) == set(model_table())


@pytest.mark.parametrize("model_id,limit", sorted(SEED_LIMITS.items()))
def test_seeds_above_the_model_limit_are_folded_into_its_range(model_id, limit):
    assert seed_sent(model_id, limit) == limit and seed_sent(model_id, 42) == 42
    for seed in (limit + 1, limit + 12345, 2 * limit + 1, 2_147_483_000):
        assert 0 <= seed_sent(model_id, seed) <= limit
    assert seed_sent(model_id, limit + 12345) == seed_sent(model_id, limit + 12345) == 12344


def test_unknown_models_are_refused():
    with pytest.raises(ValueError, match="no adapter"):
        family("stability.made-up-v9")


def test_amazon_request_and_response():
    body = request_body("amazon.nova-canvas-v1:0", REQUEST)
    assert body["taskType"] == "TEXT_IMAGE"
    assert body["textToImageParams"] == {"text": "a bottle", "negativeText": "text"}
    assert body["imageGenerationConfig"]["width"] == 1024 and body["imageGenerationConfig"]["seed"] == 42
    assert image_from_response("amazon.nova-canvas-v1:0", {"images": [PNG], "error": None}).startswith(b"\x89PNG")
    with pytest.raises(ContentFiltered, match="content moderation"):
        image_from_response(
            "amazon.titan-image-generator-v2:0",
            {"images": [], "error": "This request has been blocked by our content moderation"},
        )


def test_sdxl_request_and_response():
    body = request_body("stability.stable-diffusion-xl-v1", REQUEST)
    assert body["text_prompts"] == [{"text": "a bottle", "weight": 1.0}, {"text": "text", "weight": -1.0}]
    ok = {"result": "success", "artifacts": [{"seed": 42, "base64": PNG, "finishReason": "SUCCESS"}]}
    assert image_from_response("stability.stable-diffusion-xl-v1", ok).startswith(b"\x89PNG")
    filtered = {"result": "success", "artifacts": [{"seed": 42, "base64": PNG, "finishReason": "CONTENT_FILTERED"}]}
    with pytest.raises(ContentFiltered, match="CONTENT_FILTERED"):
        image_from_response("stability.stable-diffusion-xl-v1", filtered)
    with pytest.raises(ModelError):
        image_from_response("stability.stable-diffusion-xl-v1", {"result": "error", "artifacts": []})


def test_stable_image_request_and_response():
    body = request_body("stability.sd3-5-large-v1:0", REQUEST)
    assert body == {
        "prompt": "a bottle",
        "negative_prompt": "text",
        "aspect_ratio": "1:1",
        "output_format": "png",
        "seed": 42,
        "mode": "text-to-image",
    }
    assert "mode" not in request_body("stability.stable-image-core-v1:1", REQUEST)
    ok = {"seeds": [42], "finish_reasons": [None], "images": [PNG]}
    assert image_from_response("stability.stable-image-core-v1:1", ok).startswith(b"\x89PNG")
    with pytest.raises(ContentFiltered, match="Filter reason: prompt"):
        image_from_response("stability.stable-image-ultra-v1:1", {"finish_reasons": ["Filter reason: prompt"]})
    with pytest.raises(ModelError, match="Inference error"):
        image_from_response(
            "stability.sd3-5-large-v1:0", {"seeds": [1], "finish_reasons": ["Inference error"], "images": []}
        )


def test_same_request_same_fingerprint_and_any_difference_changes_it():
    same = ImageRequest(prompt="a bottle", negative_prompt="text", seed=42)
    assert same.fingerprint("m") == REQUEST.fingerprint("m")
    assert REQUEST.fingerprint("m") != REQUEST.fingerprint("n")
    assert ImageRequest("a bottle", "text", 43).fingerprint("m") != REQUEST.fingerprint("m")
    assert ImageRequest("a bottle", "text", 42, width=512).fingerprint("m") != REQUEST.fingerprint("m")
    assert json.dumps(REQUEST.fingerprint("m"))
