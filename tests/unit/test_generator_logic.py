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
    image_from_response,
    request_body,
    seed_for,
)
from handlers.generator.prompt import NEGATIVE_PROMPT, build_prompt, color_name
from handlers.shared.image_models import UnknownModel, image_model, models
from tests.documented import (
    ASPECT_RATIOS,
    BEDROCK_PAGES,
    FILTERED_PAGE_EXAMPLE,
    NOVA_CANVAS,
    NOVA_CANVAS_EOL,
    RESPONSE_PAGE_EXAMPLE,
    TITAN_IMAGE_V2_EOL,
    USD_PER_IMAGE,
)

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
    # The plain backdrop the variants find the product against and extend the canvas with.
    assert "plain light seamless studio backdrop" in prompt and "the whole product" in prompt
    assert "busy background" in NEGATIVE_PROMPT and "text" in NEGATIVE_PROMPT


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


TEXT_TO_IMAGE = sorted(m for m in BEDROCK_PAGES if "outpaint" not in m)


def test_the_table_offers_exactly_the_documented_models_at_their_prices():
    # The price is read after the image is paid for: it must never fail for a model the settings accept.
    assert set(models()) == set(USD_PER_IMAGE) == set(BEDROCK_PAGES)
    for model_id, usd in USD_PER_IMAGE.items():
        assert image_model(model_id).usd_per_image == usd, model_id


@pytest.mark.parametrize("model_id,eol", [(NOVA_CANVAS, NOVA_CANVAS_EOL), ("amazon.titan-image-generator-v2:0",
                                          TITAN_IMAGE_V2_EOL)])  # fmt: skip
def test_an_ended_model_is_refused_with_its_end_date_and_the_active_choices(model_id, eol):
    with pytest.raises(UnknownModel) as refused:
        image_model(model_id)
    message = str(refused.value)
    assert eol in message and "end of life" in message
    assert "stability.stable-image-core-v1:1" in message  # an Active text-to-image model to move to


def test_an_unknown_model_is_refused_with_the_choices():
    with pytest.raises(UnknownModel, match="no adapter.*stability.sd3-5-large-v1:0"):
        image_model("stability.made-up-v9")


@pytest.mark.parametrize("model_id", TEXT_TO_IMAGE)
def test_the_request_body_holds_only_fields_the_models_page_documents(model_id):
    page = BEDROCK_PAGES[model_id]
    body = request_body(model_id, REQUEST)
    assert page["required"] <= set(body) <= page["fields"], page["page"]
    assert body["prompt"] == "a bottle" and body["negative_prompt"] == "text"
    assert body["aspect_ratio"] in ASPECT_RATIOS and body["aspect_ratio"] == "1:1"  # the square the variants frame
    assert body["output_format"] in page["output_formats"] and body["output_format"] == "png"
    low, high = page["seed"]
    assert low < body["seed"] <= high  # 0 would be a random seed: the same product would not make the same image
    if "mode" in body:
        assert body["mode"] == "text-to-image"


@pytest.mark.parametrize("model_id", TEXT_TO_IMAGE)
def test_seeds_above_the_models_largest_are_folded_into_its_range(model_id):
    low, high = BEDROCK_PAGES[model_id]["seed"]
    for seed in (0, high, high + 1, high + 12345, 2 * high + 1):
        sent = request_body(model_id, ImageRequest("a bottle", "text", seed))["seed"]
        assert low < sent <= high, seed
    assert request_body(model_id, ImageRequest("a bottle", "text", 42))["seed"] == 42  # one in range is kept
    folded = {request_body(model_id, ImageRequest("a", "", seed))["seed"] for seed in (high + 1, high + 2)}
    assert len(folded) == 2  # modulo, not capped: two products keep two seeds


def test_a_prompt_longer_than_the_documented_limit_is_cut_to_it():
    long = ImageRequest(prompt="x" * 12_000, negative_prompt="y" * 12_000, seed=1)
    body = request_body("stability.stable-image-core-v1:1", long)
    assert len(body["prompt"]) == len(body["negative_prompt"]) == 10_000  # "Maximum 10,000 characters"


def test_the_documented_answer_and_its_filtered_form():
    answer = RESPONSE_PAGE_EXAMPLE | {"images": [PNG]}
    assert image_from_response(answer).startswith(b"\x89PNG")
    with pytest.raises(ContentFiltered, match="Filter reason: prompt"):
        image_from_response(FILTERED_PAGE_EXAMPLE)
    for reason in ("Filter reason: output image", "Filter reason: input image"):
        with pytest.raises(ContentFiltered, match=reason):
            image_from_response({"seeds": [1], "finish_reasons": [reason]})
    with pytest.raises(ModelError, match="Inference error"):
        image_from_response({"seeds": [1], "finish_reasons": ["Inference error"], "images": []})
    with pytest.raises(ModelError, match="no image"):
        image_from_response({"seeds": [1], "finish_reasons": [None], "images": []})


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
