"""Error answers exactly as SP-API and S3 shape them (sp-api-aplus.md §4, §5)."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from starlette.responses import Response

# code -> (HTTP status, Amazon's usual message)
SP_ERRORS: dict[str, tuple[int, str]] = {
    "InvalidInput": (400, "The request is not valid, please check the inputs and try again."),
    "Unauthorized": (403, "Access to requested resource is denied."),
    "NotFound": (404, "The requested resource doesn't exist."),
    "QuotaExceeded": (429, "You exceeded your quota for the requested resource."),
    "InternalFailure": (500, "We encountered an internal error. Please try again."),
    "ServiceUnavailable": (503, "Service is temporarily unavailable. Please try again."),
}

MISSING_TOKEN = "Access token is missing in the request header."
BAD_TOKEN = "The access token you provided is revoked, malformed or invalid."


class SpApiError(Exception):
    """Raised anywhere in an SP-API handler; the operation wrapper turns it into the error body."""

    def __init__(self, code: str, details: str | None = None, *, errors: list[dict[str, str]] | None = None,
                 message: str | None = None) -> None:
        status, default_message = SP_ERRORS[code]
        self.code = code
        self.status = status
        entry: dict[str, str] = {"code": code, "message": message or default_message}
        if details:
            entry["details"] = details
        self.errors = errors or [entry]
        super().__init__(f"{code}: {details or entry['message']}")


def invalid(details: str) -> SpApiError:
    return SpApiError("InvalidInput", details)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON without Starlette's per-call overhead of JSONResponse's render options."""
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status_code=status, headers=headers, media_type="application/json")


def sp_error_response(exc: SpApiError) -> Response:
    headers = {"x-amzn-ErrorType": "AccessDeniedException"} if exc.code == "Unauthorized" else None
    return json_response({"errors": exc.errors}, exc.status, headers)


def s3_error(status: int, code: str, message: str, **extra: str) -> Response:
    """S3's XML error document."""
    parts = [f"<Code>{escape(code)}</Code>", f"<Message>{escape(message)}</Message>"]
    parts += [f"<{k}>{escape(v)}</{k}>" for k, v in extra.items()]
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) + "</Error>"
    return Response(body, status_code=status, media_type="application/xml")
