"""Bedrock image models: one request/response adapter per family (pure), the price table, and the call.

Families (request -> response):
- amazon-image (Titan Image Generator, Nova Canvas): `taskType: TEXT_IMAGE` -> `images[]`, `error`
- stability-sdxl (SDXL 1.0): `text_prompts` -> `artifacts[].base64` with `finishReason`
- stability-image (SD3.5 Large, Stable Image Core / Ultra): `prompt`, `aspect_ratio` -> `images[]`,
  `finish_reasons`

Each call is bounded by the Lambda deadline: an attempt that might not finish before it is never started, so
the service always has time to record the image, or the failure on Lambda's last attempt.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from handlers.shared.backoff import Backoff
from handlers.shared.errors import error_code, is_transient
from handlers.shared.image_models import model_table

WIDTH = HEIGHT = 1024
FAMILIES = ("amazon-image", "stability-sdxl", "stability-image")

# One model call takes at most CONNECT_TIMEOUT + READ_TIMEOUT seconds (a standard 1024x1024 image takes well
# under a minute); FINISH_MARGIN is kept after it to save the image or mark the product failed.
READ_TIMEOUT = 60
CONNECT_TIMEOUT = 5
FINISH_MARGIN = 10
# Throttled or timed-out model calls: a few tries, waits growing to tens of seconds.
MODEL_BACKOFF = Backoff(attempts=4, base_delay=1.0, max_delay=20.0)

# Largest seed each model accepts; a larger one is a ValidationException.
SEED_MAX = {
    "amazon.nova-canvas-v1:0": 858_993_459,  # Nova Canvas user guide and code examples: 0..858,993,459
}
FAMILY_SEED_MAX = {
    "amazon-image": 2_147_483_646,  # Titan Image Generator v1 / v2
    "stability-sdxl": 4_294_967_295,  # SDXL 1.0
    "stability-image": 4_294_967_294,  # SD3.5 Large, Stable Image Core / Ultra
}


class ContentFiltered(Exception):
    """The model refused the prompt or its output: permanent, the product fails with this reason."""


class ModelError(Exception):
    """The model answered without an image for another reason."""


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


def seed_max(model_id: str) -> int:
    return SEED_MAX.get(model_id, FAMILY_SEED_MAX[family(model_id)])


def model_seed(model_id: str, seed: int) -> int:
    """The seed folded into the model's range (modulo, not capped, so products keep distinct seeds)."""
    return seed % (seed_max(model_id) + 1)


def family(model_id: str) -> str:
    models = model_table()
    if model_id not in models:
        raise ValueError(f"BEDROCK_MODEL_ID {model_id!r} has no adapter; known: {', '.join(sorted(models))}")
    kind: str = models[model_id]["family"]
    if kind not in FAMILIES:
        raise ValueError(f"{model_id!r} has family {kind!r}; the generator has adapters for {', '.join(FAMILIES)}")
    return kind


def price(model_id: str) -> float:
    return float(model_table()[model_id]["usd_per_image"])


def request_body(model_id: str, request: ImageRequest) -> dict[str, Any]:
    kind = family(model_id)
    seed = model_seed(model_id, request.seed)
    if kind == "amazon-image":
        limit = 1024 if model_id.startswith("amazon.nova") else 512
        return {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": request.prompt[:limit], "negativeText": request.negative_prompt[:limit]},
            "imageGenerationConfig": {
                "numberOfImages": 1,
                "width": request.width,
                "height": request.height,
                "quality": "standard",
                "cfgScale": 6.5,
                "seed": seed,
            },
        }
    if kind == "stability-sdxl":
        return {
            "text_prompts": [
                {"text": request.prompt, "weight": 1.0},
                {"text": request.negative_prompt, "weight": -1.0},
            ],
            "cfg_scale": 7,
            "steps": 30,
            "seed": seed,
            "width": request.width,
            "height": request.height,
            "samples": 1,
        }
    body = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "aspect_ratio": "1:1",
        "output_format": "png",
        "seed": seed,
    }
    if model_id.startswith("stability.sd3"):
        body["mode"] = "text-to-image"
    return body


def image_from_response(model_id: str, body: dict[str, Any]) -> bytes:
    """The PNG bytes, or ContentFiltered / ModelError with the model's own reason."""
    kind = family(model_id)
    if kind == "amazon-image":
        if body.get("error"):
            raise ContentFiltered(str(body["error"]))
        images = body.get("images") or []
        if not images:
            raise ModelError("the model returned no image")
        return base64.b64decode(images[0])
    if kind == "stability-sdxl":
        artifacts = body.get("artifacts") or []
        if not artifacts:
            raise ModelError(f"the model returned no artifact (result: {body.get('result')!r})")
        reason = artifacts[0].get("finishReason")
        if reason == "CONTENT_FILTERED":
            raise ContentFiltered("finishReason CONTENT_FILTERED: the prompt or the image was filtered")
        if reason not in (None, "SUCCESS"):
            raise ModelError(f"finishReason {reason}")
        return base64.b64decode(artifacts[0]["base64"])
    reasons = body.get("finish_reasons") or [None]
    if reasons[0] is not None:
        if str(reasons[0]).startswith("Filter reason"):
            raise ContentFiltered(str(reasons[0]))
        raise ModelError(str(reasons[0]))
    images = body.get("images") or []
    if not images:
        raise ModelError("the model returned no image")
    return base64.b64decode(images[0])


def is_content_filter_error(error: ClientError) -> bool:
    """Nova Canvas and Titan refuse a filtered prompt with a ValidationException rather than a body."""
    message = error.response.get("Error", {}).get("Message", "").lower()
    return error.response.get("Error", {}).get("Code") == "ValidationException" and (
        "content filter" in message or "content moderation" in message or "blocked" in message
    )


def client_config() -> Config:
    # Retries are ours (with jitter, a throttle metric and the deadline); botocore's own would multiply them.
    return Config(retries={"total_max_attempts": 1}, read_timeout=READ_TIMEOUT, connect_timeout=CONNECT_TIMEOUT)


@dataclass
class BedrockImages:
    """invoke_model with retries for throttling and timeouts (exponential backoff, full jitter), each
    attempt started only if it can finish before the function's deadline."""

    client: Any
    model_id: str
    _: KW_ONLY
    backoff: Backoff = MODEL_BACKOFF
    sleep: Callable[[float], None] = time.sleep
    on_throttle: Callable[[], None] = lambda: None
    attempt_seconds: float = CONNECT_TIMEOUT + READ_TIMEOUT  # the longest one model call takes
    margin_seconds: float = FINISH_MARGIN

    def __post_init__(self) -> None:
        family(self.model_id)  # fail fast on an unknown model

    @property
    def usd_per_image(self) -> float:
        return price(self.model_id)

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
                if isinstance(error, ClientError) and is_content_filter_error(error):
                    raise ContentFiltered(error.response["Error"]["Message"]) from error
                if not is_transient(error) or attempt == self.backoff.attempts:
                    raise
                if error_code(error) == "ThrottlingException":
                    self.on_throttle()
                delay = self.backoff.delay(attempt - 1)
                if not self._time_for_attempt(remaining_ms, after=delay):
                    raise  # before Lambda kills the function, so the service can settle the product
            else:
                return image_from_response(self.model_id, json.loads(response["body"].read()))
            self.sleep(delay)
        raise AssertionError("unreachable")

    def _time_for_attempt(self, remaining_ms: Callable[[], int] | None, after: float) -> bool:
        if remaining_ms is None:
            return True
        return remaining_ms() / 1000 - after >= self.attempt_seconds + self.margin_seconds
