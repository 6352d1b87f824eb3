"""The gateway every SP-API operation passes: request id, latency, auth, faults, usage plan,
error bodies and the rate-limit header."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from aplusctl.sandbox.errors import SpApiError, sp_error_response
from aplusctl.sandbox.faults import drop_connection, inject
from aplusctl.sandbox.scope import OPERATION_SCOPE_KEY, REQUEST_ID_SCOPE_KEY
from aplusctl.sandbox.state import SandboxState

log = logging.getLogger("aplusctl.sandbox")



@dataclass
class Call:
    """What a handler gets besides the request: the instance and the authenticated seller."""

    request: Request
    state: SandboxState
    seller: str


Handler = Callable[[Call], Awaitable[Response]]
_FAULT_CODES = {"500": "InternalFailure", "503": "ServiceUnavailable", "429": "QuotaExceeded"}


def sp_operation(name: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            state: SandboxState = request.app.state.sandbox
            request_id = str(uuid.uuid4())
            request.scope[REQUEST_ID_SCOPE_KEY] = request_id
            request.scope[OPERATION_SCOPE_KEY] = name
            limit_header: str | None = None
            try:
                if state.settings.latency_ms:
                    await asyncio.sleep(state.settings.latency_ms / 1000)
                seller = state.tokens.seller_for(request.headers.get("x-amz-access-token"))
                fault = await inject(state.faults, name, request.scope)
                if fault is not None:
                    if fault.kind == "drop":
                        return Response(status_code=500)  # never reaches the client
                    if fault.kind in _FAULT_CODES:
                        raise SpApiError(_FAULT_CODES[fault.kind])
                if not state.limiter.take(name, seller):
                    raise SpApiError("QuotaExceeded")
                limit_header = state.limiter.limit_header(name)
                response = await handler(Call(request, state, seller))
                if fault is not None and fault.kind == "drop_after":
                    drop_connection(request.scope)
            except SpApiError as exc:
                response = sp_error_response(exc)
                if exc.status not in (400, 404):
                    limit_header = None
            except Exception:  # a bug here must still look like the real service's 500
                log.exception("sandbox: %s failed", name)
                response = sp_error_response(SpApiError("InternalFailure"))
                limit_header = None
            response.headers["x-amzn-RequestId"] = request_id
            if limit_header is not None:
                response.headers["x-amzn-RateLimit-Limit"] = limit_header
            return response

        endpoint.__name__ = name
        return endpoint

    return wrap
