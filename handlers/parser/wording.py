"""Schema errors in words a marketing team reads (pure): JSON type names, the limit, the value found, shortened.

jsonschema's own messages speak Python (`None is not of type 'string'`) and show regular expressions; each
check the brief schema uses is worded here instead. A pattern's meaning is written next to it in the schema
(`x-means`), a list's item noun too (`x-noun`), so the words live beside the rule they explain.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema.exceptions import ValidationError

MAX_SHOWN = 80  # characters of an offending value shown in a report
TYPE_WORDS = {
    "object": "an object",
    "array": "an array",
    "string": "a string (text in double quotes)",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}
BRIEF_SHAPE = '{"campaign_name": "…", "campaign_message": "…", "products": [{"name": "…"}]}'


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def described(value: Any) -> str:
    """What was found, in words: `null`, `a number (3)`, `an array of 2 items`, `an empty string`."""
    kind = json_type(value)
    if kind == "array":
        return f"an array of {plural(len(value), 'item')}"
    if kind == "object":
        return f"an object with {plural(len(value), 'field')}"
    if kind == "string":
        return "an empty string" if not value else f"a string of {plural(len(value), 'character')}"
    if kind == "boolean":
        return json.dumps(value)
    return "null" if value is None else f"a number ({shorten(value)})"


def shorten(value: Any, limit: int = MAX_SHOWN) -> Any:
    """The value as a report shows it: short strings and numbers as they are, anything else as JSON text
    cut to `limit` characters (ending in '…' when cut)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def size_words(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB ({size:,} bytes)"
    if size >= 1024:
        return f"{size / 1024:.1f} KB ({size:,} bytes)"
    return f"{size:,} bytes"


def explain(error: ValidationError) -> str:
    """One schema error in plain words, with the limit that applies and what this brief has."""
    rule, limit, value, schema = error.validator, error.validator_value, error.instance, error.schema
    noun = schema.get("x-noun", "item") if isinstance(schema, dict) else "item"
    if rule == "type":
        if not error.absolute_path:
            return f"a brief is a JSON object like {BRIEF_SHAPE}; this file holds {described(value)}"
        wanted = [limit] if isinstance(limit, str) else list(limit)
        return f"expected {' or '.join(TYPE_WORDS.get(t, t) for t in wanted)}; found {described(value)}"
    if rule == "minLength":
        if not value:
            return f"must not be empty: at least {plural(limit, 'character')}"
        return f"at least {plural(limit, 'character')}; this has {len(value)}"
    if rule == "maxLength":
        return f"at most {plural(limit, 'character')}; this has {len(value):,}"
    if rule == "minItems":
        return f"at least {plural(limit, noun)}; this brief has {len(value)}"
    if rule == "maxItems":
        return f"at most {plural(limit, noun)}; this brief has {len(value)}"
    if rule == "pattern":
        found = json.dumps(shorten(value, 40), ensure_ascii=False)
        return f"expected {schema.get('x-means', 'a different text')}; found {found}"
    if rule == "enum":
        found = json.dumps(shorten(value, 40)) if isinstance(value, str) else described(value)
        return f"expected one of {', '.join(json.dumps(v) for v in limit)}; found {found}"
    # A check the schema may gain later, worded generally rather than in jsonschema's Python.
    return f"does not satisfy the brief's '{rule}' rule (limit {json.dumps(limit)[:MAX_SHOWN]})"
