"""The payloads between functions: what a sender writes is what the receiver reads, and anything else is refused
at the door, naming the field, the value and what was expected."""

import pytest

from handlers.shared.payloads import GenerateImage, InvalidPayload, RenderVariants
from localrun.lambda_context import LocalContext

CID = "summer-splash-2026-1a2b3c4d"
BUCKET = "creative-automation-dev-123456789012-us-east-1"


def test_what_a_sender_writes_the_receiver_reads_back():
    render = RenderVariants(CID, 3, BUCKET, "existing-assets/acme/citrus/product.png")
    assert render.to_event() == {
        "campaign_id": CID,
        "product_index": 3,
        "bucket": BUCKET,
        "source_key": "existing-assets/acme/citrus/product.png",
    }
    assert RenderVariants.from_event(render.to_event()) == render
    generate = GenerateImage(CID, 0, BUCKET)
    assert generate.to_event() == {"campaign_id": CID, "product_index": 0, "bucket": BUCKET}
    assert GenerateImage.from_event(generate.to_event()) == generate
    # Without a source the variants function uses the one its manifest entry names; an unknown key is tolerated.
    assert RenderVariants.from_event({**generate.to_event(), "sent_by": "batch"}).source_key is None


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("not an object", "the event is a string, expected an object"),
        (None, "the event is null"),
        ({"product_index": 0, "bucket": BUCKET}, "campaign_id is missing: expected a campaign id"),
        ({"campaign_id": "../../etc", "product_index": 0, "bucket": BUCKET}, "campaign_id is '../../etc'"),
        ({"campaign_id": CID, "product_index": "1", "bucket": BUCKET}, "product_index is '1': expected a whole"),
        ({"campaign_id": CID, "product_index": True, "bucket": BUCKET}, "product_index is True"),
        ({"campaign_id": CID, "product_index": 1000, "bucket": BUCKET}, "from 0 to 999"),
        ({"campaign_id": CID, "product_index": 0, "bucket": ""}, "bucket is '': expected the bucket's name"),
        ({"campaign_id": CID, "product_index": 0, "bucket": BUCKET, "source_key": 7}, "source_key is 7"),
    ],
)
def test_a_malformed_event_is_refused_naming_the_field_and_what_was_expected(event, expected):
    with pytest.raises(InvalidPayload) as refused:
        RenderVariants.from_event(event)
    assert expected in str(refused.value)


def test_a_huge_value_is_shortened_in_the_refusal():
    with pytest.raises(InvalidPayload) as refused:
        GenerateImage.from_event({"campaign_id": "x" * 5000, "product_index": 0, "bucket": BUCKET})
    assert len(str(refused.value)) < 200 and str(refused.value).count("x") <= 80


def test_the_variants_function_refuses_a_malformed_event_before_any_aws_call(monkeypatch, function_environment):
    """No bucket, no manifest read: with AWS out of reach the refusal is still the payload's, not a connection
    error, so the failed-invocations queue keeps an event whose reason is plain."""
    function_environment(BUCKET)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    from handlers.variants import app

    monkeypatch.setattr(app, "_service", None)
    with pytest.raises(InvalidPayload, match="product_index is missing"):
        app.handler({"campaign_id": CID, "bucket": BUCKET}, LocalContext("creative-automation-dev-variants"))
