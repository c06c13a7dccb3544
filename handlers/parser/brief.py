"""Brief validation (pure): bytes in, a brief or every violation out, each with its JSON path."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from handlers.shared.glyphs import describe, missing_characters, only_invisible

SCHEMA_FILE = Path(__file__).with_name("brief.schema.json")
ASSETS_PREFIX = "existing-assets/"
# Bucket prefixes a brief could name by mistake (or on purpose): never read for it.
OTHER_PREFIXES = ("input/", "output/")
UNSAFE_ASSET_CHARS = re.compile(r"[\x00-\x1f\x7f\\%]|://")
LOCALE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")  # BCP 47 language tag, as en-US or zh-Hans-CN


@dataclass(frozen=True)
class Violation:
    path: str  # JSON path, e.g. $.products[1].existing_assets
    message: str
    value: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "value": self.value}


@dataclass
class BriefCheck:
    brief: dict[str, Any] | None
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.brief is not None and not self.violations


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def json_path(parts) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def asset_key(value: str) -> str | None:
    """The S3 key (or folder, ending in '/') under existing-assets/ that `existing_assets` names, or None
    when it would point anywhere else: absolute paths, '..', other bucket prefixes, URLs, encoded tricks."""
    if not value or value.startswith("/") or UNSAFE_ASSET_CHARS.search(value):
        return None
    if value.startswith(OTHER_PREFIXES):
        return None
    relative = value[len(ASSETS_PREFIX) :] if value.startswith(ASSETS_PREFIX) else value
    if any(part == ".." for part in relative.split("/")):
        return None
    normalized = posixpath.normpath(ASSETS_PREFIX + relative)
    if not normalized.startswith(ASSETS_PREFIX) or normalized == ASSETS_PREFIX.rstrip("/"):
        return None
    return normalized + ("/" if relative.endswith("/") else "")


def check_brief(body: bytes, max_bytes: int) -> BriefCheck:
    """Every reason to refuse the brief, not only the first."""
    if len(body) > max_bytes:
        return BriefCheck(None, [Violation("$", f"brief is {len(body)} bytes; the limit is {max_bytes} bytes")])
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return BriefCheck(
            None,
            [
                Violation(
                    "$",
                    f"brief is not UTF-8 text: byte {error.start} is 0x{body[error.start]:02x}; save the file as UTF-8",
                )
            ],
        )
    try:
        brief = json.loads(text)
    except json.JSONDecodeError as error:
        return BriefCheck(
            None, [Violation("$", f"brief is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")]
        )
    except RecursionError:  # `[[[[...]]]]` thousands deep: valid JSON that no brief needs
        return BriefCheck(
            None,
            [
                Violation(
                    "$",
                    "brief nests arrays or objects too deeply to read; a brief is "
                    "an object of campaign fields with a list of products",
                )
            ],
        )

    violations = [
        Violation(json_path(error.absolute_path), error.message, error.instance if _small(error.instance) else None)
        for error in sorted(validator().iter_errors(brief), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if isinstance(brief, dict) and isinstance(brief.get("products"), list):
        for index, product in enumerate(brief["products"]):
            value = product.get("existing_assets") if isinstance(product, dict) else None
            if isinstance(value, str) and value and asset_key(value) is None:
                violations.append(
                    Violation(
                        f"$.products[{index}].existing_assets",
                        f"{value!r} points outside existing-assets/: give a key or folder under existing-assets/ "
                        "without '..', a leading '/', '\\', '%' escapes, URLs "
                        "or another prefix such as input/ or output/",
                        value,
                    )
                )
    if isinstance(brief, dict):
        violations.extend(message_violations(brief.get("campaign_message")))
        logo = brief.get("logo")
        if isinstance(logo, str) and logo and (asset_key(logo) is None or asset_key(logo).endswith("/")):
            violations.append(
                Violation(
                    "$.logo",
                    f"{logo[:200]!r} is not an image key under existing-assets/: give the key of one PNG or JPEG file "
                    "(not a folder) without '..', a leading '/', '\\', '%' escapes, URLs or another prefix",
                    logo[:200],
                )
            )
    return BriefCheck(brief if not violations else None, violations)


def message_violations(message: Any) -> list[Violation]:
    """A message the variants could not draw: characters no shipped font has (never drawn as boxes), or
    nothing visible at all (only spaces or zero-width characters)."""
    if isinstance(message, str):
        texts = {"$.campaign_message": message}
    elif isinstance(message, dict):
        texts = {f"$.campaign_message.{locale}": text for locale, text in message.items() if isinstance(text, str)}
    else:
        return []
    found = [
        Violation(
            "$.campaign_message",
            f"locale {locale[:40]!r} is not a language tag: expected a language code, optionally with a region or "
            "script, as en, en-US, ja-JP or zh-Hans-CN",
            locale[:200],
        )
        for locale in (message if isinstance(message, dict) else {})
        if not LOCALE.fullmatch(locale)
    ]
    for path, text in texts.items():
        if text and only_invisible(text):
            found.append(
                Violation(path, "message has no visible character (only spaces or zero-width characters)", text[:200])
            )
            continue
        missing = missing_characters(text)
        if missing:
            found.append(
                Violation(
                    path,
                    f"no font the variants ship can draw {len(missing)} character(s): {describe(missing)}; "
                    "remove them or replace them (scripts covered: Latin, Greek, Cyrillic, Arabic, Hebrew, "
                    "Devanagari, Thai, Chinese, Japanese, Korean, common symbols)",
                    text[:200],
                )
            )
    return found


def _small(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(str(value)) <= 200 or value is None
