"""The payloads between functions: what a function accepts, and what it says about an event it cannot take."""

import pytest

from handlers.shared.payloads import GenerateImage, InvalidPayload, RenderVariants
from localrun.lambda_context import LocalContext

CID = "summer-splash-2026-0a1b2c3d"
BUCKET = "creative-automation-dev-bucket"


def test_a_render_request_goes_out_and_comes_back_as_the_same_request():
    sent = RenderVariants(CID, 2, BUCKET, "existing-assets/acme/citrus.png")
    event = sent.to_event()
    assert event == {
        "campaign_id": CID,
        "product_index": 2,
        "bucket": BUCKET,
        "source_key": "existing-assets/acme/citrus.png",
    }
    assert RenderVariants.from_event(event) == sent


def test_a_render_request_without_a_source_leaves_the_key_out_and_reads_back_as_none():
    event = RenderVariants(CID, 0, BUCKET).to_event()
    assert "source_key" not in event
    assert RenderVariants.from_event(event).source_key is None


def test_each_payload_names_the_function_that_takes_it():
    assert GenerateImage(CID, 0, BUCKET).FUNCTION == "GENERATOR_FUNCTION"
    assert RenderVariants(CID, 0, BUCKET).FUNCTION == "VARIANTS_FUNCTION"


def test_keys_a_payload_does_not_take_are_ignored():
    event = {"campaign_id": CID, "product_index": 1, "bucket": BUCKET, "source_key": "x.png", "sent_by": "newer"}
    assert GenerateImage.from_event(event) == GenerateImage(CID, 1, BUCKET)


@pytest.mark.parametrize(
    "event,message",
    [
        (["not", "an", "object"], "the event is an array, expected an object with campaign_id and product_index"),
        ({"product_index": 1, "bucket": BUCKET}, "campaign_id is missing: expected a campaign id"),
        ({"campaign_id": "Summer Splash", "product_index": 1, "bucket": BUCKET}, "campaign_id is 'Summer Splash'"),
        ({"campaign_id": CID, "product_index": True, "bucket": BUCKET}, "product_index is True: expected a whole"),
        ({"campaign_id": CID, "product_index": 1000, "bucket": BUCKET}, "product_index is 1000: expected a whole"),
        ({"campaign_id": CID, "product_index": 1, "bucket": ""}, "bucket is '': expected the bucket's name"),
        (
            {"campaign_id": CID, "product_index": 1, "bucket": BUCKET, "source_key": 7},
            "source_key is 7: expected an S3",
        ),
    ],
)
def test_an_event_that_is_not_a_render_request_is_refused_naming_the_field_and_its_value(event, message):
    with pytest.raises(InvalidPayload) as refused:
        RenderVariants.from_event(event)
    assert str(refused.value).startswith(message)


def test_a_long_bad_value_is_shortened_in_the_message():
    with pytest.raises(InvalidPayload) as refused:
        GenerateImage.from_event({"campaign_id": "x" * 500, "product_index": 0, "bucket": BUCKET})
    assert len(str(refused.value)) < 200 and "..." in str(refused.value)


def test_the_variants_function_refuses_a_malformed_event_before_any_aws_call(monkeypatch, function_environment):
    """No bucket, no manifest read: with AWS out of reach the refusal is still the payload's, not a connection
    error, so the failed-invocations queue keeps an event whose reason is plain."""
    function_environment(BUCKET)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    from handlers.variants import app

    monkeypatch.setattr(app, "_service", None)
    with pytest.raises(InvalidPayload, match="product_index is missing"):
        app.handler({"campaign_id": CID, "bucket": BUCKET}, LocalContext("creative-automation-dev-variants"))
