"""Opaque, tamper-evident page tokens: a token only works for the query that produced it."""

from __future__ import annotations

import base64
import hashlib
import hmac

from aplusctl.sandbox.errors import invalid


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:24]


def encode(secret: bytes, scope: str, offset: int) -> str:
    payload = f"{offset}:{_sign(secret, f'{scope}|{offset}')}"
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode(secret: bytes, scope: str, token: str | None) -> int:
    """The offset a token stands for; 0 without one; 400 InvalidInput for an altered token."""
    if token is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        offset_text, sig = raw.split(":", 1)
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError):
        raise invalid("pageToken: the page token is not valid") from None
    if offset < 0 or not hmac.compare_digest(sig, _sign(secret, f"{scope}|{offset}")):
        raise invalid("pageToken: the page token is not valid")
    return offset
