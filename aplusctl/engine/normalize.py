"""Canonical form of a ContentDocument, so that equal content compares and hashes equal.

Both sides go through here before the planner compares them: the body built from the files and
the body read back from the API. Whatever the API adds, drops or reorders without changing the
content must vanish here, or a freshly applied document would show a phantom diff:
- absent, null and empty (``[]``, ``{}``) are the same; empty strings are kept (they are content);
- a zero image offset is the default crop offset;
- decorators are a set (sorted); items carrying a ``position`` are ordered by it;
- top-level keys other than the ContentDocument's own (name, contentType, contentSubType,
  locale, contentModuleList) are dropped.
Module order and text are content and are kept exactly.

Hashes are sha256 of canonical JSON; aplus.lock stores `body_hash` of the body apply sent and
`asins_hash` of the ASIN set it related.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

DOCUMENT_KEYS = ("name", "contentType", "contentSubType", "locale", "contentModuleList")


def normalize_document(body: dict[str, Any]) -> dict[str, Any]:
    """The canonical form of one ContentDocument dict (the input is not modified)."""
    out: dict[str, Any] = {}
    for key in DOCUMENT_KEYS:
        if key not in body:
            continue
        value = _norm(body[key], key)
        if not _is_empty(value):
            out[key] = value
    return out


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _norm(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k in sorted(value):
            v = _norm(value[k], k)
            if not _is_empty(v):
                out[k] = v
        if key in ("offset",) and _zero_offset(out):
            return None
        return out
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        items = [v for v in items if not _is_empty(v)]
        if key == "decoratorSet":
            items.sort(key=canonical_json)
            deduped: list[Any] = []
            for item in items:
                if not deduped or deduped[-1] != item:
                    deduped.append(item)
            return deduped
        if items and all(isinstance(v, dict) and isinstance(v.get("position"), int) for v in items):
            items.sort(key=lambda v: v["position"])
        return items
    return value


def _zero_offset(offset: dict[str, Any]) -> bool:
    """An ImageOffsets of (0, 0) in any unit is the default and means no offset."""
    if set(offset) - {"x", "y"}:
        return False
    return all(
        isinstance(offset.get(axis), dict) and offset[axis].get("value", 0) == 0
        for axis in ("x", "y")
        if axis in offset
    )


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def body_hash(body: dict[str, Any]) -> str:
    """Hash of the normalised body; what aplus.lock records as `applied_hash`."""
    return normalized_hash(normalize_document(body))


def normalized_hash(normalized: dict[str, Any]) -> str:
    """`body_hash` of a body already through `normalize_document` (saves a second pass)."""
    digest = hashlib.sha256(canonical_json(normalized).encode("utf-8"))
    return "sha256:" + digest.hexdigest()


def asins_hash(asins: Iterable[str]) -> str:
    """Hash of an ASIN set (order does not matter)."""
    digest = hashlib.sha256(",".join(sorted(set(asins))).encode("ascii", "replace"))
    return "sha256:" + digest.hexdigest()


def module_hash(module: dict[str, Any]) -> str:
    """Identity of one (normalised) module, for spotting moved modules."""
    return hashlib.sha1(canonical_json(module).encode("utf-8")).hexdigest()


def image_ids(value: Any) -> Iterable[str]:
    """Every uploadDestinationId inside a (part of a) document, in document order."""
    if isinstance(value, dict):
        udi = value.get("uploadDestinationId")
        if isinstance(udi, str):
            yield udi
        for k, v in value.items():
            if k != "uploadDestinationId":
                yield from image_ids(v)
    elif isinstance(value, list):
        for v in value:
            yield from image_ids(v)
