"""The admin API under /_sandbox/… (only with admin=True): catalog, moderation outcomes, faults,
request log, rate limits, tokens. Our own API, so plain JSON and snake_case."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aplusctl.sandbox import moderation
from aplusctl.sandbox.errors import json_response
from aplusctl.sandbox.scope import OPERATION_SCOPE_KEY
from aplusctl.sandbox.settings import SANDBOX_SELLER_ID
from aplusctl.sandbox.state import SandboxState
from aplusctl.sandbox.store import CATALOG_STATES, Document


class BadRequest(Exception):
    pass


def _state(request: Request) -> SandboxState:
    request.scope[OPERATION_SCOPE_KEY] = "admin"
    return request.app.state.sandbox


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _bad(message: str) -> Response:
    return json_response({"error": message}, 400)


def _admin(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, _state(request))
        except (BadRequest, ValueError, TypeError) as exc:
            return _bad(str(exc))

    endpoint.__name__ = handler.__name__
    return endpoint


@_admin
async def catalog_get(request: Request, state: SandboxState) -> Response:
    return json_response({"catalog": state.store.catalog()})


@_admin
async def catalog_set(request: Request, state: SandboxState) -> Response:
    """{"asins": [...], "state": "in_brand"|"not_found"|"other_brand", "title": optional}"""
    body = await _json(request)
    asins = body.get("asins")
    if not isinstance(asins, list) or not all(isinstance(a, str) and a for a in asins):
        raise BadRequest("asins must be a list of ASIN strings")
    catalog_state = body.get("state", "in_brand")
    if catalog_state not in CATALOG_STATES:
        raise BadRequest(f"state must be one of {', '.join(CATALOG_STATES)}")
    title = body.get("title")
    if title is not None and not isinstance(title, str):
        raise BadRequest("title must be a string")
    state.store.set_catalog(asins, catalog_state, title)
    return json_response({"updated": len(asins)})


@_admin
async def moderation_set(request: Request, state: SandboxState) -> Response:
    """{"content_reference_key": key or omitted for every document, "outcome": "APPROVED" |
    "REJECTED" | null (back to the content rules), "reasons": ["..."]}"""
    body = await _json(request)
    key = body.get("content_reference_key") or "*"
    outcome = body.get("outcome")
    if outcome not in (None, "APPROVED", "REJECTED"):
        raise BadRequest("outcome must be APPROVED, REJECTED or null")
    reasons = body.get("reasons") or []
    if not isinstance(reasons, list) or not all(isinstance(r, str) and r for r in reasons):
        raise BadRequest("reasons must be a list of non-empty strings")
    state.store.set_moderation(key, outcome, reasons)
    return json_response({"content_reference_key": key, "outcome": outcome, "reasons": reasons})


@_admin
async def moderation_settle(request: Request, state: SandboxState) -> Response:
    """Decide every pending submission now, whatever its clock says."""
    pending = state.store.due_documents(float("inf"))
    if pending:
        state.next_due = 0.0
        moderation.settle(state, now=float("inf"))
    return json_response({"settled": [d.key for d in pending]})


@_admin
async def documents_put(request: Request, state: SandboxState) -> Response:
    """Plant a document as Seller Central would leave it, unchecked (long names, empty texts…):
    {"marketplace_id", "document": ContentDocument, "content_reference_key"?: overwrite that one,
    "status"?: DRAFT|SUBMITTED|APPROVED|REJECTED (default DRAFT), "asins"?: [...]}.
    APPROVED publishes on the eligible ASINs."""
    body = await _json(request)
    mp = body.get("marketplace_id")
    document = body.get("document")
    if not isinstance(mp, str) or not mp:
        raise BadRequest("marketplace_id is required")
    if not isinstance(document, dict) or not all(
            isinstance(document.get(k), str) for k in ("name", "contentType", "locale")):
        raise BadRequest("document must be a ContentDocument with name, contentType and locale")
    status = body.get("status", moderation.DRAFT)
    if status not in ("DRAFT", "SUBMITTED", "APPROVED", "REJECTED"):
        raise BadRequest("status must be DRAFT, SUBMITTED, APPROVED or REJECTED")
    asins = body.get("asins")
    if asins is not None and (not isinstance(asins, list) or not all(isinstance(a, str) for a in asins)):
        raise BadRequest("asins must be a list of strings")
    store = state.store
    key = body.get("content_reference_key")
    doc = store.get_document(key) if isinstance(key, str) else None
    if key is not None and doc is None:
        raise BadRequest(f"no document {key}")
    fields = dict(
        marketplace_id=mp, name=document["name"], content_type=document["contentType"],
        content_sub_type=document.get("contentSubType"), locale=document["locale"],
        body=json.dumps(document, separators=(",", ":"), ensure_ascii=False), status=status,
        update_time=store.next_update_time(), reasons=[], suspended=False,
        due_at=time.time() + state.settings.moderation_seconds if status == moderation.SUBMITTED else None,
    )
    if doc is None:
        doc = Document(key=str(uuid.uuid4()), seq=0, seller_id=SANDBOX_SELLER_ID, badges=["STANDARD"],
                       version=1, **fields)  # type: ignore[arg-type]
        store.insert_document(doc)
    else:
        for name, value in fields.items():
            setattr(doc, name, value)
        doc.version += 1
        store.save_document(doc, new_version=True)
    if doc.due_at is not None:
        moderation.schedule(state, doc.due_at)
    if asins is not None:
        store.unpublish(doc.key, [a for a in store.relations(doc.key) if a not in asins])
        store.set_relations(doc.key, asins)
    if status == moderation.APPROVED:
        moderation.publish(state, doc, store.relations(doc.key))
    return json_response({"content_reference_key": doc.key}, 201)


@_admin
async def faults_get(request: Request, state: SandboxState) -> Response:
    return json_response({"faults": [f.to_json() for f in state.faults.list()]})


@_admin
async def faults_add(request: Request, state: SandboxState) -> Response:
    """{"operation": "getContentDocument" | "*", "kind": one of faults.KINDS,
    "rate": 0..1 (default 1), "count": N (optional: only the next N matching calls),
    "delay_ms": for slow (default 2000)}"""
    body = await _json(request)
    operation = body.get("operation", "*")
    if not isinstance(operation, str) or not operation:
        raise BadRequest("operation must be an operationId or '*'")
    count = body.get("count")
    fault = state.faults.add(
        operation, str(body.get("kind", "")), float(body.get("rate", 1.0)),
        int(count) if count is not None else None, int(body.get("delay_ms", 2000)))
    return json_response(fault.to_json(), 201)


@_admin
async def faults_clear(request: Request, state: SandboxState) -> Response:
    state.faults.clear()
    return json_response({"faults": []})


@_admin
async def requests_get(request: Request, state: SandboxState) -> Response:
    """?operation=getContentDocument&limit=100 — newest last."""
    limit = request.query_params.get("limit")
    entries = state.log.entries(request.query_params.get("operation"), int(limit) if limit else None)
    return json_response({"requests": entries})


@_admin
async def requests_clear(request: Request, state: SandboxState) -> Response:
    state.log.clear()
    return json_response({"requests": []})


@_admin
async def ratelimits_reset(request: Request, state: SandboxState) -> Response:
    state.limiter.reset()
    return json_response({"reset": True})


@_admin
async def ratelimits_set(request: Request, state: SandboxState) -> Response:
    """{"rate_scale": X} — 0 lifts every limit."""
    body = await _json(request)
    scale = float(body["rate_scale"]) if "rate_scale" in body else None
    if scale is None or scale < 0:
        raise BadRequest("rate_scale must be a number >= 0")
    state.limiter.scale = scale
    state.limiter.reset()
    return json_response({"rate_scale": scale})


@_admin
async def tokens_set(request: Request, state: SandboxState) -> Response:
    """{"ttl": seconds} for tokens issued from now on."""
    body = await _json(request)
    ttl = body.get("ttl")
    if not isinstance(ttl, int) or ttl < 1:
        raise BadRequest("ttl must be a positive integer (seconds)")
    state.tokens.ttl = ttl
    return json_response({"ttl": ttl})


@_admin
async def tokens_expire(request: Request, state: SandboxState) -> Response:
    state.tokens.expire_all()
    return json_response({"expired": True})


@_admin
async def summary(request: Request, state: SandboxState) -> Response:
    s = state.settings
    return json_response({
        "counts": state.store.summary(),
        "settings": {"latency_ms": s.latency_ms, "rate_scale": state.limiter.scale,
                     "moderation_seconds": s.moderation_seconds, "token_ttl": state.tokens.ttl,
                     "page_size": s.page_size},
    })


ROUTES = [
    Route("/_sandbox", summary, methods=["GET"]),
    Route("/_sandbox/catalog", catalog_get, methods=["GET"]),
    Route("/_sandbox/catalog", catalog_set, methods=["POST"]),
    Route("/_sandbox/moderation", moderation_set, methods=["POST"]),
    Route("/_sandbox/moderation/settle", moderation_settle, methods=["POST"]),
    Route("/_sandbox/documents", documents_put, methods=["POST"]),
    Route("/_sandbox/faults", faults_get, methods=["GET"]),
    Route("/_sandbox/faults", faults_add, methods=["POST"]),
    Route("/_sandbox/faults", faults_clear, methods=["DELETE"]),
    Route("/_sandbox/requests", requests_get, methods=["GET"]),
    Route("/_sandbox/requests", requests_clear, methods=["DELETE"]),
    Route("/_sandbox/ratelimits/reset", ratelimits_reset, methods=["POST"]),
    Route("/_sandbox/ratelimits", ratelimits_set, methods=["POST"]),
    Route("/_sandbox/tokens", tokens_set, methods=["POST"]),
    Route("/_sandbox/tokens/expire", tokens_expire, methods=["POST"]),
]
