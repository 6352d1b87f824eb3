"""Login with Amazon: trade the seller's refresh token for short-lived access tokens.

One token serves every call until shortly before it expires; when it must be refreshed,
concurrent callers share one exchange (behind an asyncio.Lock) instead of stampeding LWA.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import httpx

from aplusctl.credentials import SpApiCredentials
from aplusctl.redact import register_secret
from aplusctl.spapi.errors import LwaError
from aplusctl.spapi.retry import RetryPolicy, send_with_retries

log = logging.getLogger("aplusctl.spapi")

TOKEN_PATH = "/auth/o2/token"
# Refresh this long before expiry (or a tenth of the lifetime, for short-lived sandbox tokens).
EXPIRY_MARGIN = 60.0


def token_url(lwa_endpoint: str) -> str:
    """Accept either the full token URL or a bare host (what a sandbox may print)."""
    parts = urlsplit(lwa_endpoint)
    if parts.path in ("", "/"):
        return lwa_endpoint.rstrip("/") + TOKEN_PATH
    return lwa_endpoint


class LwaTokenSource:
    """Access tokens for one set of credentials, cached and refreshed once for all callers."""

    def __init__(
        self,
        credentials: SpApiCredentials,
        lwa_endpoint: str,
        http: httpx.AsyncClient,
        retry: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._url = token_url(lwa_endpoint)
        self._http = http
        self._retry = retry
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    async def get(self) -> str:
        token = self._token
        if token is not None and self._clock() < self._refresh_at:
            return token
        async with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            return await self._refresh()

    def invalidate(self, token: str) -> None:
        """The server refused `token`; forget it unless a newer one already replaced it."""
        if self._token == token:
            self._token = None

    async def _refresh(self) -> str:
        body = urlencode(
            {
                "grant_type": "refresh_token",
                "refresh_token": self._credentials.refresh_token,
                "client_id": self._credentials.client_id,
                "client_secret": self._credentials.client_secret,
            }
        )
        headers = {"content-type": "application/x-www-form-urlencoded;charset=UTF-8"}

        def log_try(outcome: str, t0: float, response: httpx.Response | None, attempt: int) -> None:
            log.info("LWA token %s %.0fms", outcome, (self._clock() - t0) * 1000)

        try:
            outcome = await send_with_retries(
                lambda: self._http.post(self._url, content=body, headers=headers), self._retry, log_try, self._clock
            )
        except httpx.HTTPError as exc:  # a malformed endpoint URL: retrying cannot help
            raise LwaError(None, "request_failed", f"cannot call {self._url}: {type(exc).__name__}") from None
        response = outcome.response
        if response is not None and not outcome.failure:
            if response.status_code == 200:
                return self._accept(response)
            raise _lwa_error(response)
        raise LwaError(
            None if response is None else response.status_code,
            "temporarily_unavailable",
            f"no token from {self._url} after {outcome.attempts} attempts ({outcome.failure})",
        )

    def _accept(self, response: httpx.Response) -> str:
        try:
            data = response.json()
            token = str(data["access_token"])
            expires_in = float(data.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise LwaError(response.status_code, "invalid_response", "the token response had no access_token") from None
        register_secret(token)
        margin = min(EXPIRY_MARGIN, expires_in / 10)
        self._token = token
        self._refresh_at = self._clock() + expires_in - margin
        return token


def _lwa_error(response: httpx.Response) -> LwaError:
    try:
        data = response.json()
        error = str(data.get("error") or "")
        description = str(data.get("error_description") or "")
    except (ValueError, AttributeError):
        error, description = "", response.reason_phrase
    return LwaError(response.status_code, error or "unknown_error", description)
