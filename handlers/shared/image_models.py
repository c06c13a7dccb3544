"""The Bedrock image models the project has adapters for (`image_models.json`): id -> {family, usd_per_image,
max_seed, outpaints, ...}. Read by the generator, the variants (outpainting), the API's estimate and the stack's
settings, from this one place."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

MODELS_FILE = Path(__file__).resolve().parent / "image_models.json"


@lru_cache(maxsize=1)
def model_table() -> dict[str, dict[str, Any]]:
    models: dict[str, dict[str, Any]] = json.loads(MODELS_FILE.read_text())["models"]
    return models
