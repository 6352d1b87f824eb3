"""Pixii failures as typed UserErrors whose message says what to do next.

Error answers are matched by their `code` first and their HTTP status second: Pixii's pages
disagree on some statuses (INSUFFICIENT_CREDITS 400 vs 402, NO_ACTIVE_BRAND 400 vs 422), the
code does not. Messages never carry the API key or a signed URL's query string.
"""

from __future__ import annotations

from aplusctl.errors import UserError
from aplusctl.pixii import CREDIT_COST
from aplusctl.redact import redact


class PixiiError(UserError):
    """Any failure talking to Pixii; `code` is Pixii's error code when it sent one.

    Message and detail go through `redact`: Pixii's error text may echo what was sent.
    """

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 detail: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(redact(message))
        self.code, self.status, self.retry_after = code, status, retry_after
        self.detail = redact(detail) if detail else detail


class PixiiValidationError(PixiiError):
    """VALIDATION_ERROR: a request parameter is invalid."""


class NoActiveBrand(PixiiError):
    """NO_ACTIVE_BRAND: the organisation has no active brand."""


class PixiiUnauthorized(PixiiError):
    """UNAUTHORIZED: the API key is missing, wrong or revoked."""


class InsufficientCredits(PixiiError):
    """INSUFFICIENT_CREDITS: the balance is below the request's cost; nothing was charged."""

    needed: int | None = None


class RateLimited(PixiiError):
    """A 429 that could not be waited out within the client's bound."""


class RateLimitMinuteExceeded(RateLimited):
    """RATE_LIMIT_MINUTE_EXCEEDED: 10 submissions a minute."""


class RateLimitDayExceeded(RateLimited):
    """RATE_LIMIT_DAY_EXCEEDED: 500 submissions a day."""


class PixiiInternalError(PixiiError):
    """INTERNAL_ERROR (500)."""


class PixiiUnavailable(PixiiError):
    """SERVICE_UNAVAILABLE (503) or a gateway error."""


class JobNotFound(PixiiError):
    """JOB_NOT_FOUND: unknown id, or another organisation's job."""


class PixiiConnectionError(PixiiError):
    """Pixii could not be reached, or the connection dropped before an answer."""


class SubmitOutcomeUnknown(PixiiConnectionError):
    """The submission may have reached Pixii (and been charged); look it up before resubmitting."""


class PixiiProtocolError(PixiiError):
    """Pixii answered something this client cannot read."""


class JobTimeout(PixiiError):
    """A job did not finish within the wait bound; it keeps running at Pixii."""

    def __init__(self, job_id: str, status: str, waited: float) -> None:
        super().__init__(
            f"Pixii job {job_id} is still {status} after {waited:.0f}s. It keeps running at Pixii "
            "and has been paid for: run the command again later to resume polling it (no new "
            "credits are spent), or raise the wait timeout.",
            code="JOB_TIMEOUT",
        )
        self.job_id = job_id


class ResultExpired(PixiiError):
    """A job's results are past Pixii's 7-day retention; its image URLs no longer work."""


class DownloadError(PixiiError):
    """A result image could not be fetched."""


class NotAnImage(DownloadError):
    """A result URL answered bytes that are not a readable PNG or JPEG."""


def _needed(types: list[str] | None) -> int | None:
    if not types:
        return None
    return sum(CREDIT_COST.get(t, 0) for t in types)


def _needed_text(types: list[str] | None) -> str:
    needed = _needed(types)
    if needed is None:
        return "more credits than the balance holds"
    parts = " + ".join(f"{t} {CREDIT_COST[t]}" for t in types or [] if t in CREDIT_COST)
    return f"{needed} credits ({parts})"


def _clause(detail: str | None) -> str:
    return f": {detail}" if detail else ""


def from_answer(status: int, code: str | None, message: str | None, detail: str | None,
                retry_after: float | None, *, types: list[str] | None = None,
                job_id: str | None = None) -> PixiiError:
    """The typed error for a Pixii error answer; `types` sizes an INSUFFICIENT_CREDITS message."""
    known = {"VALIDATION_ERROR", "NO_ACTIVE_BRAND", "UNAUTHORIZED", "INSUFFICIENT_CREDITS",
             "RATE_LIMIT_MINUTE_EXCEEDED", "RATE_LIMIT_DAY_EXCEEDED", "INTERNAL_ERROR",
             "SERVICE_UNAVAILABLE", "JOB_NOT_FOUND"}
    kind = code if code in known else _BY_STATUS.get(status)
    wire = dict(code=code or kind, status=status, detail=detail, retry_after=retry_after)
    said = f" (Pixii said: {message}{_clause(detail)})" if message or detail else ""
    wait = f" in {retry_after:.0f}s" if retry_after is not None else " later"

    if kind == "VALIDATION_ERROR":
        return PixiiValidationError(
            f"Pixii rejected the request as invalid{_clause(detail or message)}. Fix the "
            "generate: stanza (asin, country_code, types: 1-3 unique of 'A+ Basic', 'A+ Premium', "
            "'A+ Premium Mobile'; non-empty user_prompt and other_image_urls when given).", **wire)
    if kind == "NO_ACTIVE_BRAND":
        return NoActiveBrand(
            "Pixii found no active brand for your organization: create (or activate) a brand in "
            "the Pixii dashboard, then run again.", **wire)
    if kind == "UNAUTHORIZED":
        return PixiiUnauthorized(
            "Pixii refused the API key (UNAUTHORIZED): check PIXII_API_KEY, it is missing, wrong "
            "or revoked.", **wire)
    if kind == "INSUFFICIENT_CREDITS":
        error = InsufficientCredits(
            f"Not enough Pixii credits: this request needs {_needed_text(types)}{said}. Nothing "
            "was charged. Top up credits in the Pixii dashboard, or request fewer types.", **wire)
        error.needed = _needed(types)
        return error
    if kind == "RATE_LIMIT_MINUTE_EXCEEDED":
        return RateLimitMinuteExceeded(
            f"Pixii's per-minute submission limit is reached and waiting it out would exceed this "
            f"run's bound; run again{wait}, or spread submissions out.", **wire)
    if kind == "RATE_LIMIT_DAY_EXCEEDED":
        return RateLimitDayExceeded(
            f"Pixii's daily submission limit (500) is reached; run again{wait} when the daily "
            "window resets.", **wire)
    if kind == "INTERNAL_ERROR":
        return PixiiInternalError(
            f"Pixii had an internal error{said}; run again later, and contact Pixii support if it "
            "persists.", **wire)
    if kind == "SERVICE_UNAVAILABLE":
        return PixiiUnavailable(
            f"Pixii is temporarily unavailable (HTTP {status}); run again{wait}.", **wire)
    if kind == "JOB_NOT_FOUND":
        which = f"job {job_id}" if job_id else "that job"
        return JobNotFound(
            f"Pixii has no {which}: check the job id (another organization's jobs are not "
            "visible, and results are kept 7 days).", **wire)
    if status == 429:
        return RateLimited(f"Pixii is rate limiting requests; run again{wait}.", **wire)
    return PixiiError(f"Pixii answered HTTP {status}{' ' + code if code else ''}{said}.", **wire)


_BY_STATUS: dict[int, str] = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    402: "INSUFFICIENT_CREDITS",
    404: "JOB_NOT_FOUND",
    422: "NO_ACTIVE_BRAND",
    500: "INTERNAL_ERROR",
    502: "SERVICE_UNAVAILABLE",
    503: "SERVICE_UNAVAILABLE",
    504: "SERVICE_UNAVAILABLE",
}
