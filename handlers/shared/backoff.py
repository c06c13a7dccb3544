"""Exponential backoff with full jitter, for the retry loops the functions run themselves."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    attempts: int  # in all, the first one included
    base_delay: float  # seconds; doubled after each retry
    max_delay: float  # seconds; no wait is longer

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (0 for the first): anywhere up to the doubled delay, so
        callers that collided do not collide again in lock-step."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**retry))
