"""The export format (`assessment_export.schema.json`, a copy of the shared contract): its
sections, parsing, the schema check, and the translation of schema errors into `Problem`s."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

import fastjsonschema

from .import_problems import ImportRejected, Problem

SECTIONS = ("questions", "countries", "factories", "cycles", "assessments", "refusals")
FORMAT = "assessment-export/1"


class _ValidatedDocument(dict):
    """A document `validate_document` accepted (a shallow copy, so later checks can skip the schema)."""


_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_date(value: str) -> bool:
    if not _DATE_PATTERN.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@cache
def _schema_validator():
    text = (files("transparency_portal.workflows") / "assessment_export.schema.json").read_text("utf-8")
    schema = json.loads(text)
    # fastjsonschema tries to fetch a relative `$id` as a URL ("unknown url type").
    schema.pop("$id", None)
    return fastjsonschema.compile(_inline_refs(schema, schema.get("$defs", {})), formats={"date": _is_date})


def _inline_refs(node: Any, defs: dict) -> Any:
    """The schema with every `{"$ref": "#/$defs/X"}` replaced by X itself: the same checks, but
    fastjsonschema then validates each of a file's million ids inline instead of through a
    function call that formats its error path eagerly (a tenth of an import's time)."""
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
        return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
    return {key: _inline_refs(value, defs) for key, value in node.items()}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_document(raw: bytes | str, source: str = "<document>") -> dict:
    """Parse an export and check it against the schema; raises ImportRejected."""
    try:
        document = json.loads(raw, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise ImportRejected(
            [Problem(None, None, None, f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}")], source
        ) from None
    except UnicodeDecodeError as e:
        raise ImportRejected([Problem(None, None, None, f"not UTF-8 text (at byte {e.start})")], source) from None
    except RecursionError:
        raise ImportRejected([Problem(None, None, None, "not valid JSON: nested too deeply")], source) from None
    except ValueError as e:
        raise ImportRejected([Problem(None, None, None, f"not valid JSON: {e}")], source) from None
    return validate_document(document, source)


def validate_document(document: Any, source: str = "<document>") -> dict:
    """The schema check alone (the first error only: fastjsonschema stops there)."""
    if isinstance(document, _ValidatedDocument):
        return document
    try:
        _schema_validator()(document)
    except fastjsonschema.JsonSchemaValueException as e:
        raise ImportRejected([_schema_problem(e, document)], source) from None
    problems = _unstorable_values(document)
    if problems:
        raise ImportRejected(problems, source)
    return _ValidatedDocument(document)


# What the schema allows but no database column can hold: free text with NUL or unpaired
# surrogates (PostgreSQL refuses them, and they are no text), and numbers past a 32-bit integer.
MAX_INTEGER = 2**31 - 1
_FREE_TEXT = {"questions": ("title", "description"), "countries": ("name",), "factories": ("name",)}
_INTEGERS = {"cycles": "number", "assessments": "cycle"}


def _unstorable_values(document: Mapping[str, Any]) -> list[Problem]:
    """Ids, dates and enums are held to patterns by the schema; only these fields are free."""
    problems = []
    for section, fields in _FREE_TEXT.items():
        for index, entry in enumerate(document.get(section, ())):
            for field in fields:
                value = entry.get(field)
                texts = value.items() if isinstance(value, dict) else [(None, value)]
                for language, text in texts:
                    if isinstance(text, str) and not _is_text(text):
                        where = f"{field}.{language}" if language else field
                        problems.append(Problem(section, _entry_key(section, entry, index), where,
                                                "contains U+0000 or an unpaired surrogate: not text"))
    for section, field in _INTEGERS.items():
        for index, entry in enumerate(document.get(section, ())):
            if entry.get(field, 0) > MAX_INTEGER:
                problems.append(Problem(section, _entry_key(section, entry, index), field, f"must be at most {MAX_INTEGER}"))
    return problems


def _is_text(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _show(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _field_path(parts: Sequence[str]) -> str | None:
    out = ""
    for part in parts:
        if part.isdigit():
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or None


def _entry_key(section: str, entry: Any, index: int) -> str:
    """The README's "keyed by" for one entry, or its position when the key itself is broken."""

    def part(name: str) -> str | None:
        value = entry.get(name) if isinstance(entry, dict) else None
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            return None
        value = str(value)
        return value if len(value) <= 80 else value[:77] + "..."

    if section == "countries":
        key = part("code")
    elif section == "cycles":
        factory, number = part("factory"), part("number")
        key = f"{factory}+{number}" if factory and number else None
    elif section == "refusals":
        factory, day = part("factory"), part("date")
        key = f"{factory}+{day}" if factory and day else None
    else:
        key = part("id")
    return key if key is not None else f"#{index}"


_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "an object",
    "null": "null",
    "boolean": "true or false",
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


_PATTERN_TEXT = {
    "^[A-Za-z0-9._:-]+$": "must be an id of letters, digits, '.', '_', ':' or '-'",
    "^[A-Z]{2}$": "must be a two-letter country code in capitals (ISO 3166)",
    "^[a-z]{2,3}$": "must be a language code of 2 or 3 lowercase letters",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "must be a real date written YYYY-MM-DD",
}


def _schema_problem(error: fastjsonschema.JsonSchemaValueException, document: Any) -> Problem:
    parts = [str(p) for p in (error.path or [])][1:]  # drop the leading "data"
    section = key = None
    rest: list[str] = parts
    if parts:
        section, rest = parts[0], parts[1:]
        if section in SECTIONS and rest and rest[0].isdigit():
            index = int(rest[0])
            entries = document.get(section) if isinstance(document, dict) else None
            entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
            key, rest = _entry_key(section, entry, index), rest[1:]
    rest = list(rest)
    rule, definition, value = error.rule, error.definition or {}, error.value

    if rule == "required":
        missing = [n for n in definition.get("required", []) if not (isinstance(value, dict) and n in value)]
        rest.append(missing[0] if missing else "?")
        message = "is required"
    elif rule == "additionalProperties":
        allowed = definition.get("properties", {})
        extra = sorted(k for k in (value if isinstance(value, dict) else {}) if k not in allowed)
        rest.append(extra[0] if extra else "?")
        if not parts:
            message = "is not a section of this format (known: format, exportedAt, " + ", ".join(SECTIONS) + ")"
        else:
            message = "is not a field of this format (known: " + ", ".join(allowed) + ")"
    elif rule == "enum":
        options = ", ".join("null" if v is None else str(v) for v in definition.get("enum", []))
        message = f"must be one of {options}, not {_show(value)}"
    elif rule == "const":
        message = f"must be {definition.get('const')}, not {_show(value)}"
    elif rule == "type":
        wanted = definition.get("type")
        wanted = wanted if isinstance(wanted, list) else [wanted]
        message = f"must be {' or '.join(_TYPE_NAMES.get(w, str(w)) for w in wanted)}, not {_kind(value)}"
        if not parts:
            message = "the document must be a JSON object, not " + _kind(value)
    elif rule == "format":
        if definition.get("format") == "date":
            message = f"must be a real date written YYYY-MM-DD, not {_show(value)}"
        elif definition.get("format") == "date-time":
            message = f"must be a date and time in ISO 8601 (e.g. 2026-10-01T08:00:00Z), not {_show(value)}"
        else:
            message = f"must be a valid {definition.get('format')}, not {_show(value)}"
    elif rule == "pattern":
        pattern = definition.get("pattern", "")
        message = _PATTERN_TEXT.get(pattern, f"must match the pattern {pattern}") + f", not {_show(value)}"
    elif rule == "propertyNames":
        pattern = definition.get("propertyNames", {}).get("pattern", "")
        bad = [k for k in (value if isinstance(value, dict) else {}) if not re.search(pattern, k)]
        wanted = _PATTERN_TEXT.get(pattern, f"must match the pattern {pattern}").removeprefix("must be ")
        message = f"keys must each be {wanted}; {_show(bad[0] if bad else None)} is not"
    elif rule == "oneOf":
        message = f"must be a real date written YYYY-MM-DD, or null; not {_show(value)}"
    elif rule == "minLength":
        minimum = definition.get("minLength")
        message = "must not be empty" if minimum == 1 else f"must have at least {minimum} characters"
    elif rule == "maxLength":
        message = f"must have at most {definition.get('maxLength')} characters (has {len(value)})"
    elif rule == "minimum":
        message = f"must be at least {definition.get('minimum')}, not {_show(value)}"
    elif rule == "uniqueItems":
        message = "lists an item more than once"
    else:
        message = re.sub(r"^data[\w.\[\]-]*\s+", "", error.message)
    return Problem(section, key, _field_path(rest), message)


def document_sha256(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
