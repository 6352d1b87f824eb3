"""Admin API of the Pixii emulator (mounted only with --admin), for tests and rehearsals.

All under /pixii/_sandbox/; bodies are JSON; setters answer the resulting state.

    GET          /_sandbox/state        balance, brand, clock offset, job seconds, limits, failures
    PUT|POST     /_sandbox/credits      {"balance": 40}
    PUT|POST     /_sandbox/brand        {"active": false}
    POST         /_sandbox/fail         {"type": "A+ Premium", "mode": "next"|"always",
                                         "code"?: "IMAGE_GENERATION_ERROR", "message"?: "..."}
    DELETE       /_sandbox/fail         clear every armed failure
    PUT|POST     /_sandbox/job-seconds  {"seconds": 0.2}   (null: back to the sandbox setting)
    PUT|POST     /_sandbox/clock        {"offset_seconds": 691200} or {"advance_seconds": 86400}
    PUT|POST     /_sandbox/limits       {"per_minute"?: 10, "per_day"?: 500, "window_seconds"?: 60}
    POST         /_sandbox/faults       {"kind": "500"|"503"|"drop", "count": 2, "retry_after"?: 1}
                                        the next N API calls fail (503s carry Retry-After; a
                                        drop takes effect, then cuts the connection unanswered)
    PUT|POST     /_sandbox/envelope     {"style": "standard"|"enveloped"|"bare"}  answer shapes
    GET          /_sandbox/requests     ?limit=200: time, method, path, status, code (no secrets)
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aplusctl.sandbox.pixii_context import Ctx, Handler, PixiiError
from aplusctl.sandbox.pixii_model import CREDIT_COST

_SETTER = ["PUT", "POST"]


def _bad(detail: str) -> PixiiError:
    return PixiiError(400, "VALIDATION_ERROR", "Invalid admin request.", detail=detail)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise _bad("body must be JSON") from None
    if not isinstance(body, dict):
        raise _bad("body must be a JSON object")
    return body


def _number(body: dict[str, Any], key: str, *, low: float = 0) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
        raise _bad(f"{key} must be a number >= {low}")
    return float(value)


def _state(ctx: Ctx) -> JSONResponse:
    state = ctx.store.state()
    state["job_seconds"] = ctx.job_seconds()
    state["now"] = ctx.now()
    return JSONResponse(state)


async def get_state(ctx: Ctx, request: Request) -> Response:
    ctx.store.settle(ctx.now())
    return _state(ctx)


async def set_credits(ctx: Ctx, request: Request) -> Response:
    ctx.store.set("balance", int(_number(await _json(request), "balance")))
    return _state(ctx)


async def set_brand(ctx: Ctx, request: Request) -> Response:
    active = (await _json(request)).get("active")
    if not isinstance(active, bool):
        raise _bad("active must be true or false")
    ctx.store.set("brand_active", active)
    return _state(ctx)


async def arm_failure(ctx: Ctx, request: Request) -> Response:
    body = await _json(request)
    variant, mode = body.get("type"), body.get("mode", "next")
    if variant not in CREDIT_COST:
        raise _bad("type must be one of " + ", ".join(CREDIT_COST))
    error = {"code": str(body.get("code") or "IMAGE_GENERATION_ERROR"),
             "message": str(body.get("message") or f"The {variant} variant could not be generated.")}
    with ctx.store.transaction():
        if mode == "next":
            ctx.store.set("fail_next", [*ctx.store.get("fail_next"), {"type": variant, **error}])
        elif mode == "always":
            ctx.store.set("fail_always", {**ctx.store.get("fail_always"), variant: error})
        else:
            raise _bad("mode must be 'next' or 'always'")
    return _state(ctx)


async def clear_failures(ctx: Ctx, request: Request) -> Response:
    with ctx.store.transaction():
        ctx.store.set("fail_next", [])
        ctx.store.set("fail_always", {})
    return _state(ctx)


async def set_job_seconds(ctx: Ctx, request: Request) -> Response:
    body = await _json(request)
    ctx.store.set("job_seconds", None if body.get("seconds") is None else _number(body, "seconds"))
    return _state(ctx)


async def set_clock(ctx: Ctx, request: Request) -> Response:
    body = await _json(request)
    with ctx.store.transaction():
        if "advance_seconds" in body:
            offset = float(ctx.store.get("clock_offset")) + _number(body, "advance_seconds")
        else:
            offset = _number(body, "offset_seconds", low=-1e12)
        ctx.store.set("clock_offset", offset)
    return _state(ctx)


async def set_limits(ctx: Ctx, request: Request) -> Response:
    body = await _json(request)
    with ctx.store.transaction():
        for key in ("per_minute", "per_day"):
            if key in body:
                ctx.store.set(key, int(_number(body, key)))
        if "window_seconds" in body:
            ctx.store.set("window_seconds", _number(body, "window_seconds", low=0.001))
    return _state(ctx)


async def arm_faults(ctx: Ctx, request: Request) -> Response:
    body = await _json(request)
    kind = str(body.get("kind") or body.get("status") or "")
    if kind not in ("500", "503", "drop"):
        raise _bad("kind must be '500', '503' or 'drop'")
    count = int(_number(body, "count", low=0))
    retry_after = int(_number(body, "retry_after")) if "retry_after" in body else 1
    fault = {"kind": kind, "remaining": count, "retry_after": retry_after}
    ctx.store.set("faults", fault if count else None)
    return _state(ctx)


async def set_envelope(ctx: Ctx, request: Request) -> Response:
    style = (await _json(request)).get("style")
    if style not in ("standard", "enveloped", "bare"):
        raise _bad("style must be 'standard', 'enveloped' or 'bare'")
    ctx.store.set("envelope", style)
    return _state(ctx)


async def get_requests(ctx: Ctx, request: Request) -> Response:
    try:
        limit = max(1, min(10_000, int(request.query_params.get("limit", "200"))))
    except ValueError:
        raise _bad("limit must be an integer") from None
    return JSONResponse({"requests": ctx.store.requests(limit)})


def admin_routes() -> list[tuple[str, Handler, list[str]]]:
    return [
        ("/_sandbox/state", get_state, ["GET"]),
        ("/_sandbox/credits", set_credits, _SETTER),
        ("/_sandbox/brand", set_brand, _SETTER),
        ("/_sandbox/fail", arm_failure, ["POST"]),
        ("/_sandbox/fail", clear_failures, ["DELETE"]),
        ("/_sandbox/job-seconds", set_job_seconds, _SETTER),
        ("/_sandbox/clock", set_clock, _SETTER),
        ("/_sandbox/limits", set_limits, _SETTER),
        ("/_sandbox/faults", arm_faults, ["POST"]),
        ("/_sandbox/envelope", set_envelope, _SETTER),
        ("/_sandbox/requests", get_requests, ["GET"]),
    ]
