"""Login with Amazon: the refresh-token exchange and the access tokens SP-API calls present."""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from aplusctl.sandbox.errors import BAD_TOKEN, MISSING_TOKEN, SpApiError, json_response
from aplusctl.sandbox.faults import answer_with_faults
from aplusctl.sandbox.scope import OPERATION_SCOPE_KEY
from aplusctl.sandbox.settings import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    SANDBOX_SELLER_ID,
)
from aplusctl.sandbox.store import Store

# refresh token -> the selling partner who authorised it
REFRESH_TOKENS: dict[str, str] = {SANDBOX_REFRESH_TOKEN: SANDBOX_SELLER_ID}


class Tokens:
    """Access tokens, cached in memory and persisted so a restart keeps clients logged in."""

    def __init__(self, store: Store, ttl: int) -> None:
        self._store = store
        self.ttl = ttl
        self._cache = store.load_tokens()

    def issue(self, seller_id: str | None) -> tuple[str, int]:
        token = "Atza|" + secrets.token_urlsafe(48)
        expires = time.time() + self.ttl
        self._store.add_token(token, seller_id, expires)
        self._cache[token] = (seller_id, expires)
        return token, self.ttl

    def expire_all(self) -> None:
        self._store.expire_tokens()
        self._cache = {t: (s, 0.0) for t, (s, _) in self._cache.items()}

    def seller_for(self, token: str | None) -> str:
        """The seller behind a live token, or the 403 the real gateway answers."""
        if not token:
            raise SpApiError("Unauthorized", MISSING_TOKEN)
        entry = self._cache.get(token)
        if entry is None or entry[1] <= time.time() or entry[0] is None:
            raise SpApiError("Unauthorized", BAD_TOKEN)
        return entry[0]


OPERATION = "lwa:token"
_FAULT_ERRORS = {"500": (500, "server_error"), "503": (503, "temporarily_unavailable"),
                 "429": (429, "slow_down")}


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


async def token_endpoint(request: Request) -> Response:
    """POST /auth/o2/token (form-encoded, as DG22 states)."""
    request.scope[OPERATION_SCOPE_KEY] = OPERATION
    state = request.app.state.sandbox

    def failed(kind: str) -> Response:
        status, error = _FAULT_ERRORS[kind]
        return _oauth_error(status, error, "The service is unavailable; try again later")

    return await answer_with_faults(state.faults, OPERATION, request.scope, failed,
                                    lambda: _exchange(request, state.tokens))


async def _exchange(request: Request, tokens: Tokens) -> Response:
    raw = (await request.body()).decode("utf-8", "replace")
    form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    grant = form.get("grant_type")
    if not grant:
        return _oauth_error(400, "invalid_request", "The request is missing a required parameter : grant_type")
    if grant not in ("refresh_token", "client_credentials"):
        return _oauth_error(400, "unsupported_grant_type", f"The grant type {grant!r} is not supported")
    if not form.get("client_id") or not form.get("client_secret"):
        return _oauth_error(400, "invalid_request", "The request is missing a required parameter : client_id")
    if form["client_id"] != SANDBOX_CLIENT_ID or not secrets.compare_digest(
            form["client_secret"], SANDBOX_CLIENT_SECRET):
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    if grant == "client_credentials":
        if not form.get("scope"):
            return _oauth_error(400, "invalid_scope", "The request has an invalid parameter : scope")
        token, ttl = tokens.issue(None)  # grantless: good for nothing the A+ API serves
        return json_response({"access_token": token, "scope": form["scope"], "token_type": "bearer",
                              "expires_in": ttl})
    refresh = form.get("refresh_token")
    if not refresh:
        return _oauth_error(400, "invalid_request", "The request is missing a required parameter : refresh_token")
    seller = REFRESH_TOKENS.get(refresh)
    if seller is None:
        return _oauth_error(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
    token, ttl = tokens.issue(seller)
    return json_response({"access_token": token, "refresh_token": refresh, "token_type": "bearer",
                          "expires_in": ttl}, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
