"""What every Pixii emulator handler shares: its context (store, settings, clock) and the error
answer it raises, rendered in Pixii's envelope by `pixii._endpoint`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aplusctl.sandbox.pixii_store import PixiiStore
from aplusctl.sandbox.settings import SandboxSettings


@dataclass(frozen=True)
class Ctx:
    """Handlers get the store and settings passed in, not globals: one app per sandbox instance."""

    store: PixiiStore
    settings: SandboxSettings

    def now(self) -> float:
        """The sandbox clock: wall time plus the admin API's offset (to age jobs past retention)."""
        return time.time() + float(self.store.get("clock_offset"))

    def job_seconds(self) -> float:
        override = self.store.get("job_seconds")
        return float(self.settings.pixii_job_seconds if override is None else override)


Handler = Callable[[Ctx, Request], Awaitable[Response]]


class PixiiError(Exception):
    """An error answer; raised anywhere in a handler, rendered by `_endpoint`."""

    def __init__(self, status: int, code: str, message: str, detail: str | None = None,
                 retry_after: int | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.detail, self.retry_after, self.headers = detail, retry_after, headers or {}

    def response(self, style: str = "standard") -> JSONResponse:
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        error = {"code": self.code, "message": self.message, "detail": self.detail,
                 "retry_after": self.retry_after}
        body = error if style == "bare" else {"success": False, "data": None, "error": error}
        return JSONResponse(body, status_code=self.status, headers=headers)
