"""The payloads between the functions, typed, and checked where each function starts.

Every invocation between functions is asynchronous (`InvocationType=Event`, `handlers/shared/invoke.py`): Lambda
queues the event, retries a failed run `asyncInvoke.maxRetryAttempts` times, then sends it to the stack's
`…-failed-invocations` queue. Payloads are small on purpose; everything else is read from the campaign's manifest
(`output/<campaign-id>/manifest.json`), the one source of truth: `campaign_message`, `brand_colors`,
`target_audience`, `target_regions`, and per product `index`, `name`, `description`, `image_source`
(`generated` | `existing`), `source_key`, `status`, `variants`, `cost_usd`, `error`.

- parser → generator, `GenerateImage`: `{"campaign_id": "summer-2026-1a2b3c4d", "product_index": 1, "bucket": "…"}`
- parser, generator, Batch worker → variants, `RenderVariants`: the same, plus `"source_key": "existing-assets/…"`

Routing is claimed before it is invoked: the parser moves a product from `pending` to `generating` or `rendering`
in one conditional manifest write and invokes only for the products its write moved. A duplicate delivery of the
same upload therefore routes nothing; a failed invocation releases its claim and fails the SQS record, so the
redelivery routes exactly what was not routed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Self

from handlers.shared import environment

# What campaign ids look like (handlers/parser/campaign.py): a slug and 8 hex digits.
CAMPAIGN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}-[0-9a-f]{8}$")


class InvalidPayload(ValueError):
    """An event that is not the payload the function takes: a bug upstream, not a transient failure."""


@dataclass(frozen=True)
class ProductPayload:
    """What every payload names: one product of a campaign, in the campaign's bucket."""

    FUNCTION: ClassVar[str]  # the environment variable that names the function taking this payload
    OPTIONAL: ClassVar[tuple[str, ...]] = ()  # the fields a sender may leave out

    campaign_id: str
    product_index: int
    bucket: str

    def to_event(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}

    @classmethod
    def from_event(cls, event: Any) -> Self:
        return cls(**_fields(event, optional=cls.OPTIONAL))


@dataclass(frozen=True)
class GenerateImage(ProductPayload):
    """Make the product's image with the image model, then render its variants."""

    FUNCTION: ClassVar[str] = environment.GENERATOR_FUNCTION


@dataclass(frozen=True)
class RenderVariants(ProductPayload):
    """Render the product's five variants from `source_key` (None: the one its manifest entry names)."""

    FUNCTION: ClassVar[str] = environment.VARIANTS_FUNCTION
    OPTIONAL: ClassVar[tuple[str, ...]] = ("source_key",)

    source_key: str | None = None


Payload = GenerateImage | RenderVariants


def _fields(event: Any, optional: tuple[str, ...]) -> dict[str, Any]:
    """The payload's fields from an event, each checked; other keys are ignored (older or newer senders)."""
    if not isinstance(event, dict):
        raise InvalidPayload(f"the event is {_json_type(event)}, expected an object with campaign_id and product_index")
    campaign_id = event.get("campaign_id")
    if not isinstance(campaign_id, str) or not CAMPAIGN_ID.match(campaign_id):
        raise InvalidPayload(f"campaign_id is {_short(campaign_id)}: expected a campaign id such as 'summer-1a2b3c4d'")
    index = event.get("product_index")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 1000:
        raise InvalidPayload(f"product_index is {_short(index)}: expected a whole number from 0 to 999")
    bucket = event.get("bucket")
    if not isinstance(bucket, str) or not bucket:
        raise InvalidPayload(f"bucket is {_short(bucket)}: expected the bucket's name")
    fields: dict[str, Any] = {"campaign_id": campaign_id, "product_index": index, "bucket": bucket}
    for name in optional:
        value = event.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidPayload(f"{name} is {_short(value)}: expected an S3 key, or leave it out")
        fields[name] = value
    return fields


def _short(value: Any) -> str:
    text = "missing" if value is None else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true or false"}.get(
        type(value), type(value).__name__
    )
