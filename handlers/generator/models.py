"""Bedrock image models: the request/response adapter of the text-to-image family (pure), the price, and the call.

stability-image (Stable Image Core 1.1, SD3.5 Large, Stable Image Ultra 1.1; request and response as each model's
parameters page documents them): `prompt`, `negative_prompt`, `aspect_ratio`, `output_format`, `seed` (and `mode`
where the model takes it) -> `images[]`, `seeds[]`, `finish_reasons[]`. The outpaint service's body is built by
handlers/variants/expand.py and sent through the same call.

Each call is bounded by the Lambda deadline: an attempt that might not finish before it is never started, so
the service always has time to record the image, or the failure on Lambda's last attempt. A model Bedrock will
not serve (ended, not enabled for the account, not callable as configured) is ModelUnavailable: permanent, told
once, never retried.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from handlers.shared.backoff import Backoff
from handlers.shared.errors import error_code, is_transient
from handlers.shared.image_models import ImageModel, image_model

WIDTH = HEIGHT = 1024  # nominal: a 1:1 image of about a megapixel (the variants take whatever size comes)
ASPECT_RATIO = "1:1"
OUTPUT_FORMAT = "png"  # lower case: SD3.5 and the image services document lower case, Core and Ultra take it too

# One model call takes at most CONNECT_TIMEOUT + READ_TIMEOUT seconds (a standard 1024x1024 image takes well
# under a minute); FINISH_MARGIN is kept after it to save the image or mark the product failed.
READ_TIMEOUT = 60
CONNECT_TIMEOUT = 5
FINISH_MARGIN = 10
# Throttled or timed-out model calls: a few tries, waits growing to tens of seconds.
MODEL_BACKOFF = Backoff(attempts=4, base_delay=1.0, max_delay=20.0)

# Bedrock's answers that the model cannot be used as configured (permanent: the same call fails the same way).
# Messages as Bedrock words them (AWS re:Post and user reports): an unknown or ended id, an id callable only
# through an inference profile, a Legacy model refused to an account that has not used it lately.
UNAVAILABLE_CODES = ("AccessDeniedException", "ResourceNotFoundException")
UNAVAILABLE_MESSAGES = (
    "model identifier is invalid",
    "end of its life",
    "legacy",
    "on-demand throughput",
    "inference profile",
)
WHAT_TO_DO = {
    "AccessDeniedException": (
        "model access is not enabled for this account in this Region (the first call of a Stability AI model "
        "subscribes the account through AWS Marketplace, which needs a person with Marketplace permissions), or the "
        "function's role may not invoke it; see docs/deploying.md#model-access"
    ),
    "ResourceNotFoundException": (
        "the model has ended, or is Legacy and refused to this account; check it with "
        "`aws bedrock get-foundation-model --model-identifier MODEL --query modelDetails.modelLifecycle` and set an "
        "Active model (docs/settings.md#image-models)"
    ),
    "ValidationException": (
        "Bedrock does not serve this model id here: it has ended, is misspelled, or is callable only through an "
        "inference profile (docs/settings.md#image-models)"
    ),
}


class ContentFiltered(Exception):
    """The model refused the prompt or its output: permanent, the product fails with this reason."""


class ModelError(Exception):
    """The model answered without an image for another reason."""


class ModelUnavailable(Exception):
    """Bedrock will not serve the model as configured (ended, not enabled, not callable this way): permanent."""

    code = "ModelUnavailable"


def unavailable(error: ClientError) -> bool:
    details = error.response.get("Error", {})
    code, message = details.get("Code", ""), str(details.get("Message", "")).lower()
    return code in UNAVAILABLE_CODES or (
        code == "ValidationException" and any(words in message for words in UNAVAILABLE_MESSAGES)
    )


def unavailable_message(invoke_id: str, region: str | None, error: ClientError) -> str:
    """What failed and what to do, in words: the model, the Region, Bedrock's own answer."""
    details = error.response.get("Error", {})
    code = details.get("Code", "")
    said = str(details.get("Message", "")).strip()[:300]
    advice = WHAT_TO_DO.get(code, WHAT_TO_DO["ValidationException"]).replace("MODEL", invoke_id)
    where = f" in {region}" if region else ""
    return f"the image model {invoke_id} cannot be used{where}: Bedrock answered {code} ({said}); {advice}"


@dataclass(frozen=True)
class ImageRequest:
    prompt: str
    negative_prompt: str
    seed: int
    width: int = WIDTH
    height: int = HEIGHT
    label: str = ""  # the product's name (drawn by the offline placeholder backend only)

    def fingerprint(self, model_id: str) -> str:
        """Content address of the image this request makes: same prompt, model, size and seed, same image."""
        key = {
            "model": model_id,
            "prompt": self.prompt,
            "negative": self.negative_prompt,
            "seed": self.seed,
            "width": self.width,
            "height": self.height,
        }
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def seed_for(prompt: str) -> int:
    """A seed derived from the prompt, so the same product brief makes (and can reuse) the same image."""
    return int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16) % 2147483647


def model_seed(model: ImageModel, seed: int) -> int:
    """The seed folded into 1..the model's largest (Stability reads 0 as "random": the same prompt would not make
    the same image); modulo, not capped, so products keep distinct seeds."""
    largest = int(model.limits["seed_max"])
    return 1 + (seed - 1) % largest


def request_body(model_id: str, request: ImageRequest) -> dict[str, Any]:
    """The text-to-image body the model's parameters page documents; `negative_prompt` and `mode` only where the
    model takes them (an unknown field is a ValidationException)."""
    model = image_model(model_id, "text-to-image")
    limits = model.limits
    body: dict[str, Any] = {
        "prompt": request.prompt[: limits["prompt_chars"]],
        "aspect_ratio": ASPECT_RATIO,
        "output_format": OUTPUT_FORMAT,
        "seed": model_seed(model, request.seed),
    }
    if limits["negative_prompt"] and request.negative_prompt:
        body["negative_prompt"] = request.negative_prompt[: limits["prompt_chars"]]
    if limits["mode"]:
        body["mode"] = "text-to-image"
    return body


def image_from_response(body: dict[str, Any]) -> bytes:
    """The image bytes of a Stability answer (text-to-image and the image services alike), or ContentFiltered /
    ModelError with the model's own reason."""
    reasons = body.get("finish_reasons") or [None]
    if reasons[0] is not None:
        if str(reasons[0]).startswith("Filter reason"):
            raise ContentFiltered(str(reasons[0]))
        raise ModelError(str(reasons[0]))
    images = body.get("images") or []
    if not images:
        raise ModelError("the model returned no image")
    return base64.b64decode(images[0])


def client_config() -> Config:
    # Retries are ours (with jitter, a throttle metric and the deadline); botocore's own would multiply them.
    return Config(retries={"total_max_attempts": 1}, read_timeout=READ_TIMEOUT, connect_timeout=CONNECT_TIMEOUT)


@dataclass
class BedrockImages:
    """invoke_model with retries for throttling and timeouts (exponential backoff, full jitter), each
    attempt started only if it can finish before the function's deadline."""

    client: Any
    model_id: str  # as InvokeModel takes it: a model id, or an inference profile's
    _: KW_ONLY
    backoff: Backoff = MODEL_BACKOFF
    sleep: Callable[[float], None] = time.sleep
    on_throttle: Callable[[], None] = lambda: None
    attempt_seconds: float = CONNECT_TIMEOUT + READ_TIMEOUT  # the longest one model call takes
    margin_seconds: float = FINISH_MARGIN
    model: ImageModel = field(init=False)

    def __post_init__(self) -> None:
        self.model = image_model(self.model_id)  # fail fast on an unknown or ended model

    @property
    def usd_per_image(self) -> float:
        return self.model.usd_per_image

    def generate(self, request: ImageRequest, remaining_ms: Callable[[], int] | None = None) -> bytes:
        """The PNG. `remaining_ms` is the Lambda context's get_remaining_time_in_millis (None: no deadline)."""
        return self.invoke(request_body(self.model_id, request), remaining_ms)

    def invoke(self, request: dict[str, Any], remaining_ms: Callable[[], int] | None = None) -> bytes:
        """The PNG the model makes for a request body of its family (generation, or an edit such as
        outpainting: handlers/variants/expand.py)."""
        body = json.dumps(request)
        if remaining_ms is not None and not self._time_for_attempt(remaining_ms, after=0.0):
            raise TimeoutError(
                f"{remaining_ms() / 1000:.0f} s left: too little for a model call and recording "
                f"its outcome ({self.attempt_seconds + self.margin_seconds:.0f} s)"
            )
        for attempt in range(1, self.backoff.attempts + 1):
            try:
                response = self.client.invoke_model(
                    modelId=self.model_id, body=body, accept="application/json", contentType="application/json"
                )
            except Exception as error:  # throttling, timeouts and dropped connections are worth another try
                if isinstance(error, ClientError) and unavailable(error):
                    region = getattr(getattr(self.client, "meta", None), "region_name", None)
                    raise ModelUnavailable(unavailable_message(self.model_id, region, error)) from error
                if not is_transient(error) or attempt == self.backoff.attempts:
                    raise
                if error_code(error) == "ThrottlingException":
                    self.on_throttle()
                delay = self.backoff.delay(attempt - 1)
                if not self._time_for_attempt(remaining_ms, after=delay):
                    raise  # before Lambda kills the function, so the service can settle the product
            else:
                return image_from_response(json.loads(response["body"].read()))
            self.sleep(delay)
        raise AssertionError("unreachable")

    def _time_for_attempt(self, remaining_ms: Callable[[], int] | None, after: float) -> bool:
        if remaining_ms is None:
            return True
        return remaining_ms() / 1000 - after >= self.attempt_seconds + self.margin_seconds
