"""One Starlette app on one port: SP-API at the root, LWA, the S3 POST, Pixii at /pixii, admin."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from aplusctl.sandbox import admin, aplus, uploads
from aplusctl.sandbox.errors import SpApiError, sp_error_response
from aplusctl.sandbox.lwa import token_endpoint
from aplusctl.sandbox.pixii import create_pixii_app
from aplusctl.sandbox.scope import (
    DROPPED_SCOPE_KEY,
    OPERATION_SCOPE_KEY,
    RAW_SEND_SCOPE_KEY,
    REQUEST_ID_SCOPE_KEY,
)
from aplusctl.sandbox.settings import SandboxSettings
from aplusctl.sandbox.state import SandboxState


class Gateway:
    """Outermost ASGI layer: the request log, and access to the raw connection for drops."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[RAW_SEND_SCOPE_KEY] = send
        status = 0

        async def recording_send(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-amzn-requestid" for k, _ in headers) and not scope[
                        "path"].startswith("/pixii"):
                    request_id = scope.setdefault(REQUEST_ID_SCOPE_KEY, str(uuid.uuid4()))
                    headers.append((b"x-amzn-requestid", request_id.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            path: str = scope["path"]
            operation = scope.get(OPERATION_SCOPE_KEY)
            if operation is None and path.startswith("/pixii"):
                operation = "pixii"
            if not path.startswith("/_sandbox/requests"):
                self.state.log.add(scope["method"], path, operation,
                                   0 if scope.get(DROPPED_SCOPE_KEY) else status,
                                   scope.get(REQUEST_ID_SCOPE_KEY))


async def _not_found(request: Request, exc: Exception) -> Response:
    return sp_error_response(SpApiError("NotFound"))


def create_app(settings: SandboxSettings) -> Gateway:
    """The whole sandbox as one ASGI app; its state is opened now and closed on shutdown."""
    state = SandboxState.open(settings)
    routes: list[BaseRoute] = [Route("/auth/o2/token", token_endpoint, methods=["POST"])]
    routes += aplus.ROUTES + uploads.ROUTES
    if settings.admin:
        routes += admin.ROUTES
    pixii = create_pixii_app(settings)
    routes.append(Mount("/pixii", app=pixii))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.close()
        pixii.state.pixii_store.close()

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={404: _not_found})
    app.state.sandbox = state
    return Gateway(app, state)
