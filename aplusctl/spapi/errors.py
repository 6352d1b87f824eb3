"""SP-API failures as exceptions whose message tells the user what to do next.

Every message goes through `redact`, since error bodies and details can echo what was sent.
"""

from __future__ import annotations

import re

from aplusctl.errors import UserError
from aplusctl.redact import redact

ROLE_HINT = (
    "A+ Content operations need the Product Listing role on your SP-API application. Add it in "
    "the Developer Console, then have the seller authorise the app again (the old refresh token "
    "does not gain the role) and use the new SP_API_REFRESH_TOKEN."
)


class SpApiError(UserError):
    """An SP-API call that failed; carries what support needs (status, code, request id)."""

    hint: str = ""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        details: str | None = None,
        request_id: str | None = None,
        operation: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = redact(message)
        self.details = redact(details) if details else None
        self.request_id = request_id
        self.operation = operation
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.operation}: " if self.operation else ""
        text = f"{head}{self.code}: {self.message}" if self.code else f"{head}{self.message}"
        if self.details:
            text += f" ({self.details})"
        tail = []
        if self.status is not None:
            tail.append(f"HTTP {self.status}")
        if self.request_id:
            tail.append(f"request id {self.request_id}")
        if tail:
            text += f" [{', '.join(tail)}]"
        if self.hint:
            text += f"\n{self.hint}"
        return text


class Throttled(SpApiError):
    hint = (
        "The usage plan for this operation was exhausted and retries ran out; wait a minute and "
        "run again (other tools using the same app and seller share the quota)."
    )


class Unauthorized(SpApiError):
    hint = ROLE_HINT


class NotFound(SpApiError):
    hint = "Check the contentReferenceKey and marketplace; a document from another marketplace is not visible here."


class InvalidInput(SpApiError):
    """A 400: names the offending field when the server does."""

    @property
    def field(self) -> str | None:
        return _field_named(self.details) or _field_named(self.message)

    def _render(self) -> str:
        text = super()._render()
        return f"{text}\nfield: {self.field}" if self.field else text


class ServerError(SpApiError):
    hint = "Amazon reported a server-side failure and retries ran out; run again later (plan/apply are safe to re-run)."


class NetworkError(SpApiError):
    """No HTTP answer at all after every retry: DNS, connection refused, timeouts."""

    hint = "Check the network (and APLUSCTL_SPAPI_ENDPOINT if you set it); plan/apply are safe to re-run."


class CreateOutcomeUnknown(SpApiError):
    """createContentDocument may have created the document, but no usable answer came.

    Never retried blindly (that could create a duplicate): the caller looks the document up by
    name and adopts it if it exists.
    """

    hint = "The document may or may not exist now; look it up by name before creating it again."


class LwaError(UserError):
    """The Login with Amazon token exchange failed."""

    def __init__(self, status: int | None, error: str, description: str = "") -> None:
        self.status = status
        self.error = error
        self.description = redact(description)
        super().__init__(_lwa_message(status, error, self.description))


class UploadError(UserError):
    """The presigned S3 POST of an image failed; `code` is S3's error code when there is one."""

    def __init__(self, message: str, code: str | None = None, status: int | None = None) -> None:
        self.code = code
        self.status = status
        super().__init__(redact(message))


def _lwa_message(status: int | None, error: str, description: str) -> str:
    if error == "invalid_grant":
        what = (
            "the refresh token (SP_API_REFRESH_TOKEN) was revoked, has expired or belongs to another "
            "app; have the seller re-authorise the app and use the new refresh token"
        )
    elif error == "invalid_client":
        what = (
            "the app's credentials were rejected; check LWA_APP_ID and LWA_CLIENT_SECRET (they must "
            "be the LWA credentials of the app the refresh token was issued to)"
        )
    elif error in ("temporarily_unavailable", "request_failed"):
        what = "could not get a token; check the network (and APLUSCTL_LWA_ENDPOINT if you set it)"
    elif error == "unauthorized_client":
        what = "this app may not use the refresh-token grant; check the app's LWA settings"
    else:
        what = "the token exchange failed"
    text = f"Login with Amazon: {what}"
    detail = ", ".join(x for x in (error, description) if x)
    if detail or status is not None:
        text += f" ({detail}{'; ' if detail and status is not None else ''}{'' if status is None else f'HTTP {status}'})"
    return text


_FIELD_RE = re.compile(
    r"(?:field|parameter|property|attribute)\s+[\"'`\[]?([A-Za-z_][\w.\[\]]*)"
    r"|[\"'`]([A-Za-z_][\w]*(?:\.[\w\[\]]+)+)[\"'`]"
    r"|\b([a-z][A-Za-z0-9]*(?:\[\d+\])?(?:\.[A-Za-z][A-Za-z0-9]*(?:\[\d+\])?)+)\b",
    re.IGNORECASE,
)


def _field_named(text: str | None) -> str | None:
    """Pull a field path (`contentDocument.name`, parameter marketplaceId) out of a 400's text."""
    if not text:
        return None
    match = _FIELD_RE.search(text)
    if not match:
        return None
    return next(group for group in match.groups() if group)
