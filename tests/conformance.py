"""Check API-shaped JSON against the official SP-API A+ model (Swagger 2.0 / JSON Schema draft 4).

The project carries its own models; this helper is the independent referee that they agree with
Amazon's. Tests import it (`from conformance import conformance_errors, require_model`) and skip
when ../shared/reference is absent.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

MODEL_PATH = (
    Path(__file__).resolve().parents[2]
    / "shared/reference/sp-api-models/aplusContent_2020-11-01.json"
)

# Stated only in the LanguageTag description, so plain JSON Schema would not check it.
_LOCALE_PATTERN = "^[a-z]{2,}-[A-Z0-9]{2,}$"


def require_model() -> Path:
    """The model's path, or skip the calling test with the reason."""
    if not MODEL_PATH.is_file():
        pytest.skip(f"../shared/reference not present: {MODEL_PATH} is missing")
    return MODEL_PATH


@functools.cache
def _definitions(strict: bool) -> dict[str, Any]:
    definitions: dict[str, Any] = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["definitions"]
    if not strict:
        return definitions
    definitions = copy.deepcopy(definitions)
    for schema in definitions.values():
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
    definitions["LanguageTag"]["pattern"] = _LOCALE_PATTERN
    return definitions


@functools.cache
def _validator(definition: str, strict: bool) -> Draft4Validator:
    schema = {"definitions": _definitions(strict), "$ref": f"#/definitions/{definition}"}
    return Draft4Validator(schema)


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def conformance_errors(api_document: dict[str, Any], strict: bool = False) -> list[str]:
    """Every way `api_document` breaks the official model, as `field.path: message` strings.

    Takes a ContentDocument, or a PostContentDocumentRequest (`{"contentDocument": {...}}`).
    `strict=True` also rejects keys the model does not name and checks the locale pattern, which
    the model states only in prose. Returns [] when the document conforms. Call `require_model()`
    first in a test so a missing ../shared skips instead of failing.
    """
    definition = (
        "PostContentDocumentRequest"
        if set(api_document) == {"contentDocument"}
        else "ContentDocument"
    )
    errors = _validator(definition, strict).iter_errors(api_document)
    return sorted(f"{_path(e.absolute_path)}: {e.message}" for e in errors)
