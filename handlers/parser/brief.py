"""Brief validation (pure): bytes in, a brief or every violation out, each with its JSON path."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator

from handlers.parser.wording import BRIEF_SHAPE, explain, shorten, size_words
from handlers.shared.bucket_layout import ASSETS_PREFIX, INPUT_PREFIX, OUTPUT_PREFIX
from handlers.shared.glyphs import describe, missing_characters, only_invisible

SCHEMA_FILE = Path(__file__).with_name("brief.schema.json")
# Bucket prefixes a brief could name by mistake (or on purpose): never read for it.
OTHER_PREFIXES = (INPUT_PREFIX, OUTPUT_PREFIX)
UNSAFE_ASSET_CHARS = re.compile(r"[\x00-\x1f\x7f\\%]|://")
LOCALE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")  # BCP 47 language tag, as en-US or zh-Hans-CN


@dataclass(frozen=True)
class Violation:
    path: str  # JSON path, e.g. $.products[1].existing_assets
    message: str  # plain words: what was expected, with its limit, and what this brief has
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


def json_path(parts: Iterable[str | int]) -> str:
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


def not_a_brief_name(key: str) -> Violation:
    """Every upload under input/ gets an answer: one whose name does not end in .json is not read."""
    name = PurePosixPath(key).name
    suffix = PurePosixPath(key).suffix
    found = f'"{shorten(name, 60)}" ends in {suffix}' if suffix else f'"{shorten(name, 60)}" has no extension'
    return Violation(
        "$",
        f"the parser reads briefs named *.json (any letter case, like summer.json or SUMMER.JSON); {found}. "
        "Save the brief as JSON with a .json name and upload it again",
    )


def too_large(size: int, max_bytes: int) -> Violation:
    """The one violation of a brief over the size limit, with its real size (never the bytes read)."""
    return Violation(
        "$",
        f"at most {size_words(max_bytes)} per brief; this brief is {size_words(size)}. "
        "Split its products over several briefs",
    )


def check_brief(body: bytes, max_bytes: int, can_expand: bool = True) -> BriefCheck:
    """Every reason to refuse the brief, not only the first. `can_expand`: whether the stack can paint a
    `"framing": "expand"` (an outpaint model, or the offline fill); without, such a brief is refused before any
    paid call."""
    if len(body) > max_bytes:
        return BriefCheck(None, [too_large(len(body), max_bytes)])
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return _refused(f"not UTF-8 text: byte {error.start} is 0x{body[error.start]:02x}; save the file as UTF-8")
    duplicates: list[_Duplicates] = []
    try:
        brief = json.loads(text, object_pairs_hook=lambda pairs: _object(pairs, duplicates))
    except json.JSONDecodeError as error:
        return _refused(f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")
    except RecursionError:  # `[[[[...]]]]` thousands deep: valid JSON that no brief needs
        return _refused(f"nests arrays or objects too deeply to read; a brief is a JSON object like {BRIEF_SHAPE}")

    violations = _duplicate_keys(brief) if duplicates else []
    violations += _schema_violations(brief)
    if isinstance(brief, dict) and isinstance(brief.get("products"), list):
        for index, product in enumerate(brief["products"]):
            value = product.get("existing_assets") if isinstance(product, dict) else None
            if isinstance(value, str) and value and asset_key(value) is None:
                violations.append(
                    Violation(
                        f"$.products[{index}].existing_assets",
                        "expected a key or folder under existing-assets/, such as acme/citrus/; this one leads "
                        "elsewhere (a '..', a leading '/', a backslash, a '%' escape, a URL, or input/ or output/)",
                        shorten(value),
                    )
                )
    if isinstance(brief, dict):
        violations.extend(message_violations(brief.get("campaign_message")))
        logo = brief.get("logo")
        logo_key = asset_key(logo) if isinstance(logo, str) and logo else ""
        if isinstance(logo, str) and logo and (logo_key is None or logo_key.endswith("/")):
            violations.append(
                Violation(
                    "$.logo",
                    "expected the key of one PNG or JPEG file under existing-assets/, such as acme/logo.png; this one "
                    "is a folder or leads elsewhere (a '..', a leading '/', a backslash, a '%' escape, a URL, or "
                    "input/ or output/)",
                    shorten(logo),
                )
            )
        if brief.get("framing") == "expand" and not can_expand:
            violations.append(
                Violation(
                    "$.framing",
                    '"expand" needs an outpaint model to paint the extension of each size, and this stack has none '
                    "(its platform team sets creative-automation:bedrockOutpaintModelId, "
                    'docs/settings.md#image-models); use "auto", the plain or blurred continuation',
                    "expand",
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
            shorten(locale),
        )
        for locale in (message if isinstance(message, dict) else {})
        if not LOCALE.fullmatch(locale)
    ]
    for path, text in texts.items():
        if text and only_invisible(text):
            found.append(
                Violation(
                    path, "message has no visible character (only spaces or zero-width characters)", shorten(text)
                )
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
                    shorten(text),
                )
            )
    return found


def _refused(message: str) -> BriefCheck:
    return BriefCheck(None, [Violation("$", message)])


def _schema_violations(brief: Any) -> list[Violation]:
    violations, missing_seen = [], set()
    for error in sorted(validator().iter_errors(brief), key=lambda e: list(map(str, e.absolute_path))):
        if error.validator == "pattern" and error.instance == "":
            continue  # an empty text is already reported as empty
        if error.validator == "required":
            # jsonschema yields one error per missing field, each naming it only inside a Python repr.
            owner = error.schema.get("x-noun", "object")
            for name in error.validator_value:
                path = json_path([*error.absolute_path, name])
                if name not in error.instance and path not in missing_seen:
                    missing_seen.add(path)
                    violations.append(Violation(path, f'missing: every {owner} needs a "{name}" field'))
            continue
        violations.append(Violation(json_path(error.absolute_path), explain(error), shorten(error.instance)))
    return violations


class _Duplicates(dict[str, Any]):
    """A JSON object that named some key more than once (json keeps the last; a brief may not)."""

    repeated: dict[str, int]


def _object(pairs: list[tuple[str, Any]], found: list[_Duplicates]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _Duplicates(obj)
    names = [name for name, _ in pairs]
    marked.repeated = {name: names.count(name) for name in dict.fromkeys(names) if names.count(name) > 1}
    found.append(marked)
    return marked


def _duplicate_keys(value: Any, parts: tuple[str | int, ...] = ()) -> list[Violation]:
    """Every repeated key, at the path of the object that repeats it."""
    found = []
    if isinstance(value, _Duplicates):
        found += [
            Violation(
                json_path(parts),
                f'the key "{shorten(name, 40)}" appears {count} times in this object; each key may appear once '
                "(only the last would count)",
                shorten(name),
            )
            for name, count in value.repeated.items()
        ]
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found += _duplicate_keys(child, (*parts, key))
    return found
