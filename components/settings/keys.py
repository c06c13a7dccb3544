"""The config keys this project reads, and a reader that checks each value's type, naming the key on failure.

A key under `creative-automation:` that no setting reads (a typo) is refused with a close match and the allowed
keys: it would otherwise silently fall back to its default.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any

from components.settings.limits import PROJECT


class SettingsError(ValueError):
    """A config value that cannot be deployed. The message names key, value and what is allowed."""


# Every key this project reads under `creative-automation:`. Anything else is refused (a misspelled key
# would otherwise silently fall back to its default); Reader refuses to read a key missing here.
CONFIG_KEYS = frozenset(
    {
        *(f"images.{k}" for k in ("tag", "layout", "platform", "keepLast", "mode", "environmentInRepositoryName")),
        *(
            f"functions.{f}.{k}"
            for f in ("parser", "generator", "variants", "imageUpdater", "api", "settler")
            for k in ("memoryMb", "timeoutSeconds", "reservedConcurrency")
        ),
        *(f"queue.{k}" for k in ("maxReceiveCount", "batchSize", "batchingWindowSeconds", "visibilityTimeoutSeconds")),
        "asyncInvoke.maxRetryAttempts",
        "asyncInvoke.maxEventAgeSeconds",
        "bucket.outputExpirationDays",
        "bucket.noncurrentVersionExpirationDays",
        *(
            f"batch.{k}"
            for k in (
                "vcpu",
                "memoryMib",
                "maxVcpus",
                "retryAttempts",
                "timeoutSeconds",
                "subnetIds",
                "securityGroupIds",
            )
        ),
        *(f"alarms.{k}" for k in ("email", "topicArn", "functionErrors", "modelThrottles", "oldestMessageAgeSeconds")),
        *(f"api.{k}" for k in ("jwtIssuer", "jwtAudience", "teamClaim", "throttleRateLimit", "throttleBurstLimit")),
        "bedrockModelId",
        "bedrockOutpaintModelId",
        "bedrockRegion",
        "imageBackend",
        "subjectDetector",
        "logLevel",
        "logRetentionDays",
        "maxBriefBytes",
    }
)


def scalar(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def refuse_unknown_keys(values: Mapping[str, Any], prefix: str = "") -> None:
    """Fail on a key of this project that no setting reads, naming it, a close match and the allowed keys.
    Keys of other namespaces (`aws:region`, ...) belong to their providers and pass."""
    level = {name[len(prefix) :].split(".")[0] for name in CONFIG_KEYS if name.startswith(prefix)}
    for name, value in values.items():
        if not prefix and ":" in name:
            continue
        path = prefix + name
        if name not in level:
            close = difflib.get_close_matches(name, level, n=1)
            hint = f"did you mean {config_key(prefix + close[0])}? " if close else ""
            raise SettingsError(
                f"{config_key(path)} is not a setting of this project: {hint}allowed keys"
                f"{' under ' + config_key(prefix.rstrip('.')) if prefix else ''} are "
                f"{', '.join(sorted(level, key=str.lower))}"
            )
        if isinstance(value, str) and path not in CONFIG_KEYS:
            value = scalar(value)  # a structured value given as JSON text
        if isinstance(value, Mapping) and path not in CONFIG_KEYS:
            refuse_unknown_keys(value, path + ".")


def config_key(path: str) -> str:
    return path if ":" in path else f"{PROJECT}:{path}"


def camel(service: str) -> str:
    head, *rest = service.split("-")
    return head + "".join(part.title() for part in rest)


MISSING = object()


class Reader:
    """Looks up dotted keys in nested config and checks their types, naming the key on failure."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = values

    def _get(self, path: str, default: Any) -> Any:
        assert ":" in path or path in CONFIG_KEYS, f"{path} is read but missing from CONFIG_KEYS"
        value: Any
        if ":" in path:
            value = self.values.get(path, MISSING)
        else:
            value = self.values
            for part in path.split("."):
                if isinstance(value, str) and part != path.split(".")[0]:
                    value = scalar(value)
                if not isinstance(value, Mapping):
                    value = MISSING
                    break
                value = value.get(part, MISSING)
        if value is MISSING or value is None:
            if default is MISSING:
                raise SettingsError(f"{config_key(path)} is not set: it is required")
            return default
        return value

    def string(
        self, path: str, default: Any = MISSING, pattern: re.Pattern[str] | None = None, expected: str = ""
    ) -> str:
        value = self._get(path, default)
        if not isinstance(value, str):
            raise SettingsError(f"{config_key(path)} is {value!r}: expected a string")
        if pattern is not None and not pattern.match(value):
            raise SettingsError(f"{config_key(path)} is {value!r}: expected {expected or pattern.pattern}")
        if value.strip() != value or (default is MISSING and not value):
            raise SettingsError(
                f"{config_key(path)} is {value!r}: expected a non-empty value without surrounding spaces"
            )
        return value

    def choice(self, path: str, allowed: tuple[Any, ...], default: Any = MISSING) -> Any:
        value = self._get(path, default)
        if value not in allowed:
            raise SettingsError(f"{config_key(path)} is {value!r}: allowed values are {', '.join(map(str, allowed))}")
        return value

    def integer(self, path: str, low: int, high: int, default: Any = MISSING, optional: bool = False) -> Any:
        value = self._get(path, default)
        if value is None and optional:
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{config_key(path)} is {value!r}: expected a whole number from {low} to {high}")
        if not low <= value <= high:
            raise SettingsError(f"{config_key(path)} is {value}: allowed range is {low} to {high}")
        return value

    def number(self, path: str, default: Any = MISSING) -> float:
        value = self._get(path, default)
        if isinstance(value, str):
            value = scalar(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(f"{config_key(path)} is {value!r}: expected a number")
        return value

    def boolean(self, path: str, default: Any = MISSING) -> bool:
        value = self._get(path, default)
        if isinstance(value, str) and value in ("true", "false"):
            value = value == "true"
        if not isinstance(value, bool):
            raise SettingsError(f"{config_key(path)} is {value!r}: expected true or false")
        return value

    def string_list(self, path: str, pattern: re.Pattern[str], expected: str) -> tuple[str, ...]:
        value = self._get(path, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and pattern.match(item) for item in value):
            raise SettingsError(f"{config_key(path)} is {value!r}: expected a list of {expected}")
        return tuple(value)
