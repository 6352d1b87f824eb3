"""The ten A+ Content API 2020-11-01 operations, on the official paths and shapes."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aplusctl.content.models import (
    PostContentDocumentAsinRelationsRequest,
    PostContentDocumentRequest,
    to_api,
)
from aplusctl.marketplaces import lookup
from aplusctl.sandbox import moderation, pagination
from aplusctl.sandbox.errors import SpApiError, invalid, json_response
from aplusctl.sandbox.moderation import APPROVED, DRAFT, SUBMITTED
from aplusctl.sandbox.ops import Call, sp_operation
from aplusctl.sandbox.store import Document

BASE = "/aplus/2020-11-01"
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MAX_ERRORS = 20

# --- request parsing ------------------------------------------------------------------------------


def _marketplace(request: Request) -> str:
    value = request.query_params.get("marketplaceId")
    if not value:
        raise invalid("marketplaceId: required query parameter is missing")
    found = lookup(value)
    if found is None or found.marketplace_id != value:
        raise invalid(f"marketplaceId: {value} is not a valid marketplace identifier")
    return value


def _csv(request: Request, name: str) -> list[str] | None:
    """A csv array parameter; repeated parameters are accepted too (the guide shows both)."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    items = [item.strip() for value in values for item in value.split(",")]
    if any(not item for item in items):
        raise invalid(f"{name}: empty item")
    if len(set(items)) != len(items):
        raise invalid(f"{name}: items must be unique")
    return items


def _asin_set(request: Request) -> list[str] | None:
    asins = _csv(request, "asinSet")
    for asin in asins or []:
        if len(asin) < 10:
            raise invalid(f"asinSet: {asin!r} is shorter than 10 characters")
    return asins


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


async def _body(request: Request, model: type[BaseModel]) -> Any:
    """Parse and check a write body against the official limits; 400 naming each bad field."""
    raw = await request.body()
    if not raw:
        raise invalid("body: a request body is required")
    try:
        data = json.loads(raw)
    except ValueError:
        raise invalid("body: the request body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"code": "InvalidInput", "message": "Invalid input.",
             "details": f"{_loc(tuple(e['loc']))}: {e['msg']}"}
            for e in exc.errors(include_url=False)[:_MAX_ERRORS]
        ]
        raise SpApiError("InvalidInput", errors=errors) from None


def _document(call: Call, marketplace_id: str) -> Document:
    key = call.request.path_params["contentReferenceKey"]
    doc = call.state.store.get_document(key) if _UUID_RE.match(key) else None
    if doc is None or doc.marketplace_id != marketplace_id or doc.seller_id != call.seller:
        raise SpApiError("NotFound", f"contentReferenceKey: no content document {key} in {marketplace_id}")
    return doc


def _settled_document(call: Call) -> Document:
    """The path's document after due moderation decisions, for operations that change it."""
    marketplace_id = _marketplace(call.request)
    moderation.settle(call.state)
    return _document(call, marketplace_id)


def _page(call: Call, scope: str) -> int:
    return pagination.decode(call.state.store.secret, scope, call.request.query_params.get("pageToken"))


def _next_token(call: Call, scope: str, offset: int, got: int, more: bool) -> dict[str, str]:
    if not more:
        return {}
    return {"nextPageToken": pagination.encode(call.state.store.secret, scope, offset + got)}


def _check_images(call: Call, document: dict[str, Any]) -> None:
    """An uploadDestinationId is usable only once its upload succeeded."""
    missing = moderation.missing_uploads(call.state, document)
    if missing:
        raise SpApiError("InvalidInput", errors=[
            {"code": "InvalidInput", "message": "Invalid input.",
             "details": f"contentDocument.{path}: upload destination {uid} has no uploaded image"}
            for path, uid in missing[:_MAX_ERRORS]
        ])


def _ok(body: dict[str, Any]) -> Response:
    return json_response({"warnings": [], **body} if "warnings" not in body else body)


# --- operations -----------------------------------------------------------------------------------


@sp_operation("searchContentDocuments")
async def search_content_documents(call: Call) -> Response:
    mp = _marketplace(call.request)
    moderation.settle(call.state)
    scope = f"search|{call.seller}|{mp}"
    offset = _page(call, scope)
    size = call.state.settings.page_size
    docs = call.state.store.page_documents(call.seller, mp, offset, size + 1)
    records = [{"contentReferenceKey": d.key, "contentMetadata": d.metadata()} for d in docs[:size]]
    return _ok({"contentMetadataRecords": records,
                **_next_token(call, scope, offset, len(records), len(docs) > size)})


@sp_operation("createContentDocument")
async def create_content_document(call: Call) -> Response:
    mp = _marketplace(call.request)
    body: PostContentDocumentRequest = await _body(call.request, PostContentDocumentRequest)
    document = to_api(body.contentDocument)
    _check_images(call, document)
    store = call.state.store
    doc = Document(
        key=str(uuid.uuid4()), seq=0, seller_id=call.seller, marketplace_id=mp,
        name=document["name"], content_type=document["contentType"],
        content_sub_type=document.get("contentSubType"), locale=document["locale"],
        body=json.dumps(document, separators=(",", ":"), ensure_ascii=False),
        status=DRAFT, badges=["STANDARD"], update_time=store.next_update_time(), version=1,
        due_at=None, reasons=[], suspended=False,
    )
    store.insert_document(doc)
    return _ok({"contentReferenceKey": doc.key})


@sp_operation("getContentDocument")
async def get_content_document(call: Call) -> Response:
    mp = _marketplace(call.request)
    included = _csv(call.request, "includedDataSet")
    if not included:
        raise invalid("includedDataSet: required query parameter is missing")
    for item in included:
        if item not in ("CONTENTS", "METADATA"):
            raise invalid(f"includedDataSet: {item!r} is not one of CONTENTS, METADATA")
    moderation.settle(call.state)
    doc = _document(call, mp)
    warnings = doc.reasons if doc.status == "REJECTED" else []
    parts = ['{"warnings":', json.dumps(warnings, separators=(",", ":")),
             ',"contentRecord":{"contentReferenceKey":"', doc.key, '"']
    if "METADATA" in included:
        parts += [',"contentMetadata":', json.dumps(doc.metadata(), separators=(",", ":"))]
    if "CONTENTS" in included:
        parts += [',"contentDocument":', doc.body]
    parts.append("}}")
    return json_response("".join(parts))


@sp_operation("updateContentDocument")
async def update_content_document(call: Call) -> Response:
    mp = _marketplace(call.request)
    doc = _document(call, mp)
    body: PostContentDocumentRequest = await _body(call.request, PostContentDocumentRequest)
    document = to_api(body.contentDocument)
    _check_images(call, document)
    store = call.state.store
    doc.name, doc.content_type = document["name"], document["contentType"]
    doc.content_sub_type, doc.locale = document.get("contentSubType"), document["locale"]
    doc.body = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    doc.status, doc.reasons, doc.due_at = DRAFT, [], None  # published content stays live meanwhile
    doc.version += 1
    doc.update_time = store.next_update_time()
    store.save_document(doc, new_version=True)
    return _ok({"contentReferenceKey": doc.key})


@sp_operation("listContentDocumentAsinRelations")
async def list_content_document_asin_relations(call: Call) -> Response:
    mp = _marketplace(call.request)
    included = _csv(call.request, "includedDataSet") or []
    for item in included:
        if item != "METADATA":
            raise invalid(f"includedDataSet: {item!r} is not one of METADATA")
    wanted = _asin_set(call.request)
    moderation.settle(call.state)
    doc = _document(call, mp)
    asins = call.state.store.relations(doc.key)
    if wanted is not None:
        asins = [a for a in asins if a in set(wanted)]
    scope = f"asins|{call.seller}|{mp}|{doc.key}|{','.join(wanted or [])}|{','.join(included)}"
    offset = _page(call, scope)
    size = call.state.settings.page_size
    page = asins[offset:offset + size]
    items: list[dict[str, Any]]
    if "METADATA" in included:
        items = _asin_metadata(call, doc, page, mp)
    else:
        items = [{"asin": a} for a in page]
    return _ok({"asinMetadataSet": items,
                **_next_token(call, scope, offset, len(page), offset + size < len(asins))})


def _asin_metadata(call: Call, doc: Document, asins: list[str], mp: str) -> list[dict[str, Any]]:
    states = moderation.asin_states(call.state, asins)
    titles = moderation.asin_titles(call.state, asins)
    published = call.state.store.published_asins(doc.key)
    out = []
    for asin in asins:
        s = states[asin]
        if s == "not_found":
            badges = ["CATALOG_NOT_FOUND"]
        elif s == "other_brand":
            badges = ["BRAND_NOT_ELIGIBLE"]
        else:
            badges = ["CONTENT_PUBLISHED" if asin in published else "CONTENT_NOT_PUBLISHED"]
        item: dict[str, Any] = {"asin": asin, "badgeSet": badges}
        if s != "not_found":
            item["title"] = titles[asin]
        item["contentReferenceKeySet"] = call.state.store.keys_related_to(asin, mp)
        out.append(item)
    return out


@sp_operation("postContentDocumentAsinRelations")
async def post_content_document_asin_relations(call: Call) -> Response:
    doc = _settled_document(call)
    body: PostContentDocumentAsinRelationsRequest = await _body(
        call.request, PostContentDocumentAsinRelationsRequest)
    store = call.state.store
    old = store.relations(doc.key)
    new = list(body.asinSet)
    store.set_relations(doc.key, new)
    removed = [a for a in old if a not in set(new)]
    if removed:  # removing an ASIN suspends this content from it (UCG22)
        store.unpublish(doc.key, removed)
    added = [a for a in new if a not in set(old)]
    if added and doc.status == APPROVED and not doc.suspended:
        moderation.publish(call.state, doc, added)
    doc.update_time = store.next_update_time()
    store.save_document(doc)
    return _ok({"warnings": moderation.asin_warnings(call.state, new)})


@sp_operation("validateContentDocumentAsinRelations")
async def validate_content_document_asin_relations(call: Call) -> Response:
    _marketplace(call.request)
    asins = _asin_set(call.request) or []
    body: PostContentDocumentRequest = await _body(call.request, PostContentDocumentRequest)
    errors = moderation.content_errors(call.state, to_api(body.contentDocument))
    errors += moderation.asin_warnings(call.state, asins)
    return json_response({"warnings": [], "errors": errors})


@sp_operation("searchContentPublishRecords")
async def search_content_publish_records(call: Call) -> Response:
    mp = _marketplace(call.request)
    asin = call.request.query_params.get("asin")
    if not asin:
        raise invalid("asin: required query parameter is missing")
    if len(asin) < 10:
        raise invalid(f"asin: {asin!r} is shorter than 10 characters")
    moderation.settle(call.state)
    scope = f"publish|{call.seller}|{mp}|{asin}"
    offset = _page(call, scope)
    size = call.state.settings.page_size
    rows = call.state.store.publish_records(mp, asin, offset, size + 1)
    records = []
    for r in rows[:size]:
        rec = {"marketplaceId": r["marketplace_id"], "locale": r["locale"], "asin": r["asin"],
               "contentType": r["content_type"], "contentReferenceKey": r["key"]}
        if r["content_sub_type"]:
            rec["contentSubType"] = r["content_sub_type"]
        records.append(rec)
    return _ok({"publishRecordList": records,
                **_next_token(call, scope, offset, len(records), len(rows) > size)})


@sp_operation("postContentDocumentApprovalSubmission")
async def post_content_document_approval_submission(call: Call) -> Response:
    doc = _settled_document(call)
    store = call.state.store
    now = time.time()
    doc.status, doc.reasons, doc.suspended = SUBMITTED, [], False
    doc.due_at = now + max(0.0, call.state.settings.moderation_seconds)
    doc.update_time = store.next_update_time()
    store.save_document(doc)
    moderation.schedule(call.state, doc.due_at)
    warnings = moderation.asin_warnings(call.state, store.relations(doc.key))
    if call.state.settings.moderation_seconds <= 0:
        moderation.settle(call.state)
    return _ok({"warnings": warnings})


@sp_operation("postContentDocumentSuspendSubmission")
async def post_content_document_suspend_submission(call: Call) -> Response:
    doc = _settled_document(call)
    store = call.state.store
    store.unpublish(doc.key)
    doc.suspended = True
    doc.update_time = store.next_update_time()
    store.save_document(doc)
    return _ok({})


KEY = "{contentReferenceKey}"
ROUTES = [
    Route(f"{BASE}/contentDocuments", search_content_documents, methods=["GET"]),
    Route(f"{BASE}/contentDocuments", create_content_document, methods=["POST"]),
    Route(f"{BASE}/contentDocuments/{KEY}", get_content_document, methods=["GET"]),
    Route(f"{BASE}/contentDocuments/{KEY}", update_content_document, methods=["POST"]),
    Route(f"{BASE}/contentDocuments/{KEY}/asins", list_content_document_asin_relations, methods=["GET"]),
    Route(f"{BASE}/contentDocuments/{KEY}/asins", post_content_document_asin_relations, methods=["POST"]),
    Route(f"{BASE}/contentAsinValidations", validate_content_document_asin_relations, methods=["POST"]),
    Route(f"{BASE}/contentPublishRecords", search_content_publish_records, methods=["GET"]),
    Route(f"{BASE}/contentDocuments/{KEY}/approvalSubmissions",
          post_content_document_approval_submission, methods=["POST"]),
    Route(f"{BASE}/contentDocuments/{KEY}/suspendSubmissions",
          post_content_document_suspend_submission, methods=["POST"]),
]
