"""Pixii emulator (minimal placeholder; the full emulator follows)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aplusctl.sandbox.settings import SandboxSettings


async def _not_ready(request: Request) -> JSONResponse:
    return JSONResponse(
        {"success": False, "data": None,
         "error": {"code": "SERVICE_UNAVAILABLE", "message": "not implemented yet",
                   "detail": None, "retry_after": None}},
        status_code=503,
    )


def create_pixii_app(settings: SandboxSettings) -> Starlette:
    """Build the Pixii emulator; the sandbox core mounts it at /pixii."""
    return Starlette(routes=[Route("/{path:path}", _not_ready, methods=["GET", "POST", "PUT", "DELETE"])])
