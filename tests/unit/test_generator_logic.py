"""Generator logic: prompts, request/response adapters per model family (pure)."""

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from handlers.generator.models import (
    ContentFiltered,
    ImageRequest,
    ModelError,
    family,
    image_from_response,
    price,
    request_body,
    seed_for,
)
from handlers.generator.prompt import build_prompt, color_name
from handlers.shared.image_models import model_table
from tests.documented import MAX_SEED, USD_PER_IMAGE

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


def test_the_generator_prices_exactly_the_models_the_settings_accept():
    # price() runs after the image is paid for: it must never fail for a model the settings accept.
    assert set(model_table()) == set(USD_PER_IMAGE) == set(MAX_SEED)


@pytest.mark.parametrize("model_id,usd", sorted(USD_PER_IMAGE.items()))
def test_each_model_costs_its_documented_standard_image_price(model_id, usd):
    assert price(model_id) == usd


def seed_sent(model_id: str, seed: int) -> int:
    body = request_body(model_id, ImageRequest(prompt="a bottle", negative_prompt="text", seed=seed))
    return body["imageGenerationConfig"]["seed"] if "imageGenerationConfig" in body else body["seed"]


@pytest.mark.parametrize("model_id,limit", sorted(MAX_SEED.items()))
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


def test_the_fingerprint_names_the_cached_image_the_same_in_every_process():
    """The image cache outlives the function's containers: a new process must find the image an older one paid for
    (a fingerprint built on Python's per-process hash() would not)."""
    code = (
        "from handlers.generator.models import ImageRequest;"
        "print(ImageRequest(prompt='a bottle', negative_prompt='text', seed=42).fingerprint('m'))"
    )
    root = Path(__file__).parents[2]
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, cwd=root
    )
    fingerprint = REQUEST.fingerprint("m")
    assert other.stdout.strip() == fingerprint
    assert len(fingerprint) == 64 and set(fingerprint) <= set("0123456789abcdef")  # a safe S3 key segment
