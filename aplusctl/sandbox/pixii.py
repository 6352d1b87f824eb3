"""The Pixii emulator: the A+ endpoint, the Jobs API, signed result images and an admin API.

The sandbox core mounts `create_pixii_app(settings)` at `/pixii`; paths below are relative to it.

    POST /v1/api/a_plus            submit (Bearer auth, rate limited, charged)   -> 202
    GET  /v1/api/jobs/{job_id}     poll a job (not rate limited)                 -> 200
    GET  /v1/api/jobs?asin=&page=&limit=   an ASIN's jobs, newest first          -> 200
    GET  /assets/{job}/{variant}/{module-01.png|preview.png}?expires=&signature=
                                   signed result images (no Bearer; 403 bad or expired URL)
    /_sandbox/...                  admin, only when settings.admin (see pixii_admin)

Envelope (one choice, because Pixii's pages leave it open): successes are bare JSON objects;
every error is
    {"success": false, "data": null,
     "error": {"code", "message", "detail", "retry_after"}}
with the HTTP status of the A+ page's table (VALIDATION_ERROR 400, NO_ACTIVE_BRAND 400,
UNAUTHORIZED 401, INSUFFICIENT_CREDITS 402, RATE_LIMIT_*_EXCEEDED 429, INTERNAL_ERROR 500,
SERVICE_UNAVAILABLE 503) plus JOB_NOT_FOUND 404. The admin API can switch the style
(`/_sandbox/envelope`) so clients are tested on every shape: "enveloped" also wraps successes as
{"success": true, "data": ..., "error": null}; "bare" sends errors as the bare error object.
429s carry `Retry-After`; every submission answer carries X-RateLimit-Limit-Minute,
-Remaining-Minute, -Limit-Day and -Remaining-Day.

Faithfulness notes: submission checks run auth, rate limit, validation, brand, credits, in that
order, so a refused request never costs credits; every authenticated submission counts toward the
limits (10 in a sliding minute, 500 per UTC day of the sandbox clock; `rate_scale` 0 lifts them).
settings.latency_ms delays every answer, as it does the SP-API's. The submit answer adds
`remaining_credits`, and jobs add `expires_at`/`expired` (results are kept 7 days after
completion). The sandbox key is a `pk_test_` key but, unlike Pixii's test keys, it is charged, so
the credits ledger can be rehearsed. Signed asset URLs refuse an Authorization header, as
storage hosts do.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from aplusctl.sandbox import pixii_jobs as jobs
from aplusctl.sandbox.faults import drop_connection
from aplusctl.sandbox.pixii_admin import admin_routes
from aplusctl.sandbox.pixii_context import Ctx, Handler, PixiiError
from aplusctl.sandbox.pixii_images import module_png, preview_png
from aplusctl.sandbox.pixii_model import JOB_TYPE, VARIANT_BY_SLUG, VARIANTS, validate_submission
from aplusctl.sandbox.pixii_store import JobRow, PixiiStore
from aplusctl.sandbox.settings import SANDBOX_PIXII_KEY, SandboxSettings

log = logging.getLogger(__name__)

_DROP_SCOPE_KEY = "aplusctl.pixii.drop"


def _enveloped(response: Response) -> Response:
    """A bare success answer rewrapped as {success: true, data, error: null}."""
    headers = {k: v for k, v in response.headers.items()
               if k.lower() not in ("content-length", "content-type")}
    data = json.loads(bytes(response.body))
    return JSONResponse({"success": True, "data": data, "error": None},
                        status_code=response.status_code, headers=headers)


def _endpoint(ctx: Ctx, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Injected latency; PixiiErrors and crashes rendered as envelopes; one request-log line."""

    async def endpoint(request: Request) -> Response:
        code: str | None = None
        if ctx.settings.latency_ms:
            await asyncio.sleep(ctx.settings.latency_ms / 1000)
        style = str(ctx.store.get("envelope"))
        try:
            response = await handler(ctx, request)
            if (style == "enveloped" and isinstance(response, JSONResponse)
                    and response.status_code < 300 and "/v1/" in request.url.path):
                response = _enveloped(response)
        except PixiiError as exc:
            code, response = exc.code, exc.response(style)
        except Exception:  # a sandbox bug must still answer like Pixii would
            log.exception("pixii emulator crashed on %s %s", request.method, request.url.path)
            code = "INTERNAL_ERROR"
            response = PixiiError(500, code, "An unexpected error occurred.").response(style)
        dropped = bool(request.scope.get(_DROP_SCOPE_KEY))
        # The path only: signed-URL query strings stay out of the log.
        ctx.store.log(time.time(), request.method, request.url.path,
                      0 if dropped else response.status_code, "DROPPED" if dropped else code)
        if dropped:
            drop_connection(request.scope)
            return Response(status_code=500)   # never reaches the client
        return response

    return endpoint


# --- shared checks ---------------------------------------------------------------------------


def _authenticate(request: Request) -> None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        key.strip().encode(), SANDBOX_PIXII_KEY.encode()
    ):
        raise PixiiError(401, "UNAUTHORIZED", "Missing or invalid API key.")


def _inject_fault(ctx: Ctx, request: Request) -> None:
    """Answer the next N API calls with the fault the admin API armed.

    A "drop" lets the call take effect and then cuts the connection before the answer: the
    case where a client cannot know whether its submission was accepted (and charged).
    """
    with ctx.store.transaction():
        fault = ctx.store.get("faults")
        if not fault or fault.get("remaining", 0) <= 0:
            return
        fault["remaining"] -= 1
        ctx.store.set("faults", fault if fault["remaining"] > 0 else None)
    kind = str(fault.get("kind") or fault.get("status"))
    if kind == "drop":
        request.scope[_DROP_SCOPE_KEY] = True
    elif kind == "503":
        raise PixiiError(503, "SERVICE_UNAVAILABLE", "Service is temporarily unavailable.",
                         retry_after=int(fault.get("retry_after", 1)))
    else:
        raise PixiiError(500, "INTERNAL_ERROR", "An unexpected error occurred.")


def _api_call(ctx: Ctx, request: Request) -> float:
    """Auth, settle finished jobs' refunds, maybe a fault; returns the sandbox's now."""
    _authenticate(request)
    now = ctx.now()
    ctx.store.settle(now)
    _inject_fault(ctx, request)
    return now


def _admit_submission(ctx: Ctx, now: float) -> dict[str, str]:
    """Count a submission against both windows; its rate-limit headers, or a 429."""
    per_minute = int(ctx.store.get("per_minute"))
    per_day = int(ctx.store.get("per_day"))
    window = float(ctx.store.get("window_seconds"))
    day_start = datetime.fromtimestamp(now, timezone.utc).replace(
        hour=0, minute=0, second=0, microsecond=0).timestamp()
    limited = ctx.settings.rate_scale != 0
    with ctx.store.transaction():
        in_minute, oldest = ctx.store.count_submissions(now - window)
        in_day, _ = ctx.store.count_submissions(day_start)
        refusal: PixiiError | None = None
        if limited and in_minute >= per_minute:
            wait = math.ceil((oldest or now) + window - now)
            refusal = PixiiError(429, "RATE_LIMIT_MINUTE_EXCEEDED",
                                 "Too many requests in the current minute window.",
                                 detail=f"at most {per_minute} submissions per minute",
                                 retry_after=max(1, wait))
        elif limited and in_day >= per_day:
            refusal = PixiiError(429, "RATE_LIMIT_DAY_EXCEEDED", "Daily request limit reached.",
                                 detail=f"at most {per_day} submissions per day (UTC)",
                                 retry_after=max(1, math.ceil(day_start + 86400 - now)))
        else:
            ctx.store.record_submission(now)
            in_minute, in_day = in_minute + 1, in_day + 1
    headers = {
        "X-RateLimit-Limit-Minute": str(per_minute),
        "X-RateLimit-Remaining-Minute": str(max(0, per_minute - in_minute)),
        "X-RateLimit-Limit-Day": str(per_day),
        "X-RateLimit-Remaining-Day": str(max(0, per_day - in_day)),
    }
    if refusal is not None:
        refusal.headers.update(headers)
        raise refusal
    return headers


def _variant_outcomes(ctx: Ctx, types: list[str]) -> list[dict[str, Any]]:
    """Which requested variants will fail, consuming one-shot failures armed by the admin API."""
    always: dict[str, Any] = ctx.store.get("fail_always")
    pending: list[dict[str, Any]] = list(ctx.store.get("fail_next"))
    outcomes = []
    for variant in types:
        error = always.get(variant)
        armed = next((f for f in pending if f["type"] == variant), None)
        if armed is not None:
            pending.remove(armed)
            error = {"code": armed["code"], "message": armed["message"]}
        outcomes.append({"type": variant, "error": error})
    ctx.store.set("fail_next", pending)
    return outcomes


# --- API handlers ----------------------------------------------------------------------------


async def submit_a_plus(ctx: Ctx, request: Request) -> Response:
    now = _api_call(ctx, request)
    headers = _admit_submission(ctx, now)
    try:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise PixiiError(400, "VALIDATION_ERROR", "One or more request parameters are invalid.",
                             detail="request body must be JSON") from None
        problem = validate_submission(body)
        if problem:
            raise PixiiError(400, "VALIDATION_ERROR", "One or more request parameters are invalid.",
                             detail=problem)
        if not ctx.store.get("brand_active"):
            raise PixiiError(400, "NO_ACTIVE_BRAND", "No active brand found for your organization.",
                             detail="create or activate a brand in the Pixii dashboard")
        cost = jobs.credit_cost(body["types"])
        with ctx.store.transaction():
            balance = int(ctx.store.get("balance"))
            if cost > balance:
                raise PixiiError(402, "INSUFFICIENT_CREDITS",
                                 "Not enough credits to process this request.",
                                 detail=f"this request needs {cost} credits; the balance is {balance}")
            job = JobRow(
                id=f"job_{uuid.uuid4().hex}", asin=body["asin"].strip(),
                country_code=body["country_code"], request=body, created_at=now,
                duration=max(0.0, ctx.job_seconds()), credit_cost=cost,
                variants=_variant_outcomes(ctx, body["types"]),
            )
            ctx.store.insert_job(job)
            ctx.store.set("balance", balance - cost)
    except PixiiError as exc:
        exc.headers.update(headers)
        raise
    answer = {"job_id": job.id, "job_type": JOB_TYPE, "status": "pending",
              "created_at": jobs.iso(job.created_at), "remaining_credits": balance - cost}
    return JSONResponse(answer, status_code=202, headers=headers)


def _base_url(request: Request) -> str:
    """This app's own URL: the mount's root_path, which request.base_url leaves out."""
    return str(request.url.replace(path=request.scope.get("root_path", ""), query="")).rstrip("/")


async def get_job(ctx: Ctx, request: Request) -> Response:
    now = _api_call(ctx, request)
    job_id = request.path_params["job_id"]
    job = ctx.store.job(job_id)
    if job is None:
        raise PixiiError(404, "JOB_NOT_FOUND", "Job not found.",
                         detail=f"no job {job_id!r} in this organization")
    return JSONResponse(jobs.job_view(job, now, _base_url(request), ctx.store.secret()))


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise PixiiError(400, "VALIDATION_ERROR", "One or more request parameters are invalid.",
                         detail=f"{name} must be an integer from {low} to {high}")
    return value


async def list_jobs(ctx: Ctx, request: Request) -> Response:
    now = _api_call(ctx, request)
    asin = request.query_params.get("asin", "").strip()
    if not 5 <= len(asin) <= 15:
        raise PixiiError(400, "VALIDATION_ERROR", "One or more request parameters are invalid.",
                         detail="asin is required and must be 5 to 15 characters")
    page = _int_param(request, "page", 1, 1, 1_000_000)
    limit = _int_param(request, "limit", 20, 1, 100)
    rows, total = ctx.store.jobs_for_asin(asin, limit, (page - 1) * limit)
    return JSONResponse({"data": [jobs.summary_view(job, now) for job in rows],
                         "total": total, "page": page, "limit": limit})


async def get_asset(ctx: Ctx, request: Request) -> Response:
    job_id = request.path_params["job_id"]
    slug = request.path_params["variant"]
    name = request.path_params["name"]
    path = f"/assets/{job_id}/{slug}/{name}"
    if "authorization" in request.headers:
        # As on S3 or GCS: a signed URL is its own credential, and sending an API key with it
        # is refused, which also keeps clients from leaking the key to a storage host.
        raise PixiiError(400, "INVALID_ARGUMENT", "Only one auth mechanism allowed: the signed "
                         "URL carries its own credentials; send no Authorization header.")
    try:
        expires = int(request.query_params.get("expires", ""))
    except ValueError:
        expires = -1
    signature = request.query_params.get("signature", "")
    if expires < 0 or not jobs.signature_ok(ctx.store.secret(), path, expires, signature):
        raise PixiiError(403, "ACCESS_DENIED", "The request signature does not match.")
    now = ctx.now()
    if now >= expires:
        raise PixiiError(403, "URL_EXPIRED", "This signed URL has expired (results are kept 7 days).")
    job = ctx.store.job(job_id)
    variant = VARIANT_BY_SLUG.get(slug)
    if job is None or variant is None:
        raise PixiiError(404, "NOT_FOUND", "No such asset.")
    if now >= jobs.expires_at(job):
        raise PixiiError(410, "JOB_EXPIRED", "This job's results have expired (kept 7 days).")
    outcome = next((v for v in job.variants if v["type"] == variant), None)
    if outcome is None or outcome.get("error") or jobs.status(job, now) != "completed":
        raise PixiiError(404, "NOT_FOUND", "No such asset.")
    if name == "preview.png":
        data = preview_png(job.id, job.asin, variant)
    else:
        index = _module_index(name, VARIANTS[variant].modules)
        if index is None:
            raise PixiiError(404, "NOT_FOUND", "No such asset.")
        data = module_png(job.id, job.asin, variant, index)
    return Response(data, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=604800"})


def _module_index(name: str, count: int) -> int | None:
    if not (name.startswith("module-") and name.endswith(".png")):
        return None
    digits = name[len("module-"):-len(".png")]
    if not digits.isdigit() or not 1 <= int(digits) <= count or name != f"module-{int(digits):02d}.png":
        return None
    return int(digits)


async def _not_found(ctx: Ctx, request: Request) -> Response:
    raise PixiiError(404, "NOT_FOUND", f"No route for {request.method} {request.url.path}.")


def create_pixii_app(settings: SandboxSettings) -> Starlette:
    """Build the emulator on settings.db; `app.state.pixii_store.close()` releases the database."""
    ctx = Ctx(PixiiStore(settings.db, settings.request_log_size), settings)
    routes: list[BaseRoute] = [
        Route("/v1/api/a_plus", _endpoint(ctx, submit_a_plus), methods=["POST"]),
        Route("/v1/api/jobs/{job_id}", _endpoint(ctx, get_job), methods=["GET"]),
        Route("/v1/api/jobs", _endpoint(ctx, list_jobs), methods=["GET"]),
        Route("/assets/{job_id}/{variant}/{name}", _endpoint(ctx, get_asset), methods=["GET"]),
    ]
    if settings.admin:
        routes += [Route(path, _endpoint(ctx, handler), methods=methods)
                   for path, handler, methods in admin_routes()]
    routes.append(Route("/{path:path}", _endpoint(ctx, _not_found),
                        methods=["GET", "POST", "PUT", "PATCH", "DELETE"]))
    app = Starlette(routes=routes)
    app.state.pixii_store = ctx.store
    return app
