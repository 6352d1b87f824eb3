"""Content rules, the catalog view of ASINs, and the lazy moderation clock.

Moderation is decided when a SUBMITTED document's time is up, the first time anything reads the
sandbox after that moment — so no background task has to run, and a restart loses nothing.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterator
from typing import Any

from aplusctl.content.limits import MAX_MODULES_BY_CONTENT_TYPE, image_minimums, text_overruns
from aplusctl.sandbox.state import SandboxState
from aplusctl.sandbox.store import Document, Upload

APPROVED, REJECTED, SUBMITTED, DRAFT = "APPROVED", "REJECTED", "SUBMITTED", "DRAFT"
_ASIN_RE = re.compile(r"^[A-Z0-9]{10}$")
_NOT_TEXT = {"uploadDestinationId", "contentModuleType", "units", "type", "asin"}


@functools.lru_cache(maxsize=8)
def _terms_regex(terms: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t.lower()) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


def _walk(node: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(field path, key, value) for every scalar in a ContentDocument."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}" if path else k) if isinstance(v, (dict, list)) else [
                (f"{path}.{k}" if path else k, k, v)]
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def content_errors(state: SandboxState, document: dict[str, Any]) -> list[dict[str, str]]:
    """What validateContentDocumentAsinRelations reports as CONTENT_FAILED_VALIDATION."""
    errors: list[dict[str, str]] = []
    pattern = _terms_regex(state.settings.prohibited_terms)
    images: dict[str, str] = {}
    for path, key, value in _walk(document, ""):
        if not isinstance(value, str):
            continue
        if key == "uploadDestinationId":
            images.setdefault(path, value)
        elif key not in _NOT_TEXT:
            found = sorted(set(pattern.findall(value.lower())))
            if found:
                errors.append({
                    "code": "CONTENT_FAILED_VALIDATION",
                    "message": f"These keywords violate our community guidelines: {', '.join(found)}.",
                    "details": path,
                })
    errors += _seller_central_limits(document)
    uploads = state.store.uploaded(set(images.values()))
    for path, upload_id in images.items():
        if upload_id not in uploads:
            errors.append({
                "code": "CONTENT_FAILED_VALIDATION",
                "message": f"The image {upload_id} was not found; upload it before using it.",
                "details": path,
            })
    errors += _image_checks(document, uploads)
    return errors


def _seller_central_limits(document: dict[str, Any]) -> list[dict[str, str]]:
    """The A+ guide's stricter limits (module count per content type, text lengths per module)."""
    errors: list[dict[str, str]] = []
    modules = document.get("contentModuleList") or []
    most = MAX_MODULES_BY_CONTENT_TYPE.get(str(document.get("contentType")))
    if most is not None and len(modules) > most:
        errors.append({"code": "CONTENT_FAILED_VALIDATION",
                       "message": f"A {document.get('contentType')} document can hold at most {most} modules.",
                       "details": "contentModuleList"})
    for i, module in enumerate(modules):
        for path, limit, length in text_overruns(module):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            errors.append({"code": "CONTENT_FAILED_VALIDATION",
                           "message": f"The text is {length} characters long; at most {limit} are allowed.",
                           "details": f"contentModuleList[{i}]{where}"})
    return errors


def _px(node: Any, *keys: str) -> int:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    value = node.get("value") if isinstance(node, dict) else None
    return value if isinstance(value, int) else 0


def _image_checks(document: dict[str, Any], uploads: dict[str, Upload]) -> list[dict[str, str]]:
    """Uploaded files must be images; crops must fit in them and meet the module's minimum."""
    errors: list[dict[str, str]] = []

    def fail(message: str, details: str) -> None:
        errors.append({"code": "CONTENT_FAILED_VALIDATION", "message": message, "details": details})

    for i, module in enumerate(document.get("contentModuleList") or []):
        for path, (min_w, min_h), node in image_minimums(module):
            where = f"contentModuleList[{i}]" + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            upload = uploads.get(node.get("uploadDestinationId"))
            if upload is None:
                continue
            if upload.width is None or upload.height is None:
                fail(f"The file behind {upload.id} is not a JPEG, PNG or TIFF image.", where)
                continue
            crop = node.get("imageCropSpecification") or {}
            w, h = _px(crop, "size", "width"), _px(crop, "size", "height")
            x, y = _px(crop, "offset", "x"), _px(crop, "offset", "y")
            if x + w > upload.width or y + h > upload.height:
                fail(f"The crop {w}x{h}+{x}+{y} does not fit in the {upload.width}x{upload.height} image.",
                     where)
            elif w < min_w or h < min_h:
                fail(f"The image is {w}x{h} px; this module needs at least {min_w}x{min_h} px.", where)
    return errors


def missing_uploads(state: SandboxState, document: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, uploadDestinationId) for images whose upload never succeeded."""
    images = {p: v for p, k, v in _walk(document, "") if k == "uploadDestinationId" and isinstance(v, str)}
    uploaded = state.store.uploaded_ids(set(images.values()))
    return [(p, v) for p, v in images.items() if v not in uploaded]


def asin_states(state: SandboxState, asins: list[str]) -> dict[str, str]:
    """in_brand | not_found | other_brand for each ASIN (any well-formed ASIN is the brand's)."""
    marked = state.store.catalog_state(asins)
    out: dict[str, str] = {}
    for asin in asins:
        if asin in marked:
            out[asin] = marked[asin][0]
        else:
            out[asin] = "in_brand" if _ASIN_RE.match(asin) else "not_found"
    return out


def asin_titles(state: SandboxState, asins: list[str]) -> dict[str, str]:
    marked = state.store.catalog_state(asins)
    return {a: (marked.get(a, (None, None))[1] or f"Sandbox product {a}") for a in asins}


_ASIN_MESSAGES = {
    "not_found": "The ASIN was not found in the catalog.",
    "other_brand": "The ASIN does not belong to your brand, so it cannot take this content.",
}


def asin_warnings(state: SandboxState, asins: list[str]) -> list[dict[str, str]]:
    return [
        {"code": "ASIN_FAILED_VALIDATION", "message": _ASIN_MESSAGES[s], "details": a}
        for a, s in asin_states(state, asins).items() if s != "in_brand"
    ]


def record_locale(locale: str) -> str:
    """Publish records spell the locale with an underscore (UCG22's example: en_US)."""
    return locale.replace("-", "_")


def publish(state: SandboxState, doc: Document, asins: list[str]) -> None:
    eligible = [a for a, s in asin_states(state, asins).items() if s == "in_brand"]
    if eligible:
        state.store.publish(doc, eligible, record_locale(doc.locale))


def schedule(state: SandboxState, due_at: float) -> None:
    state.next_due = due_at if state.next_due is None else min(state.next_due, due_at)


def settle(state: SandboxState, now: float | None = None) -> None:
    """Decide every submission whose moderation time is up."""
    if state.next_due is None:
        return
    now = time.time() if now is None else now
    if now < state.next_due:
        return
    store = state.store
    for doc in store.due_documents(now):
        outcome, reasons = _decide(state, doc)
        doc.status, doc.reasons, doc.due_at = outcome, reasons, None
        doc.update_time = store.next_update_time()
        store.save_document(doc)
        if outcome == APPROVED and not doc.suspended:
            publish(state, doc, store.relations(doc.key))
    state.next_due = store.next_due()


def _decide(state: SandboxState, doc: Document) -> tuple[str, list[dict[str, str]]]:
    override = state.store.moderation_override(doc.key)
    if override is not None:
        outcome, texts = override
        if outcome == APPROVED:
            return APPROVED, []
        texts = texts or ["The content was rejected in moderation."]
        return REJECTED, [{"code": "CONTENT_FAILED_VALIDATION", "message": t} for t in texts]
    errors = content_errors(state, json.loads(doc.body))
    return (REJECTED, errors) if errors else (APPROVED, [])
