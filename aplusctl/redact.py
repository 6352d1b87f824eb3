"""Keep secrets out of everything a user or a CI log can see.

Two layers: exact values registered when they are read (credentials, tokens as they arrive),
and patterns that catch secrets whose values we never saw (another tool's token in an error
body, a presigned URL pasted back by a server). Everything printed or logged goes through
`redact`; `install_log_filter` makes that true for every log record in the process.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# Values shorter than this would mangle ordinary text; no real credential is this short.
_MIN_SECRET_LEN = 4

_lock = threading.Lock()
_secrets: set[str] = set()
_secrets_pattern: re.Pattern[str] | None = None

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # LWA access and refresh tokens, wherever they appear.
    (re.compile(r"Atz[ar]\|[^\s\"'&,;<>)\]}]+"), MASK),
    # Pixii API keys and GitHub tokens, by their documented prefixes.
    (re.compile(r"\b(?:pk_(?:live|test)_|gh[pousr]_|github_pat_)[A-Za-z0-9_]+"), MASK),
    # A password in a URL (a git remote with a token in it).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/@:\"'<>]*):[^\s/@\"'<>]+@"), r"\1:" + MASK + "@"),
    # Authorization headers.
    (re.compile(r"(?i)\b(Bearer)\s+[^\s\"',;<>]+"), r"\1 " + MASK),
    # The SP-API's token header, in header dumps or JSON.
    (re.compile(r"(?i)(x-amz-access-token[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+"), r"\1" + MASK),
    # OAuth fields in form bodies, query strings or JSON.
    (
        re.compile(
            r"(?i)(\b(?:access_token|refresh_token|client_secret|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"',;&]+"
        ),
        r"\1" + MASK,
    ),
    # A URL's query string when it carries a presigned S3 policy or signature.
    (
        re.compile(
            r"(?i)(https?://[^\s?#\"'<>]+)\?(?=[^\s\"'<>]*(?:x-amz-|signature=|policy=|awsaccesskeyid=))"
            r"[^\s\"'<>]*"
        ),
        r"\1?" + MASK,
    ),
    # A signature or policy on its own (form fields, log lines that split the URL).
    (
        re.compile(
            r"(?i)(\b(?:x-amz-signature|x-amz-credential|x-amz-security-token)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"',;&]+"
        ),
        r"\1" + MASK,
    ),
    # Bare `policy=`/`signature=` only as form or query fields: prose ("Policy: expired") stays.
    (re.compile(r"(?i)(\b(?:policy|signature)=)[^\s\"',;&]+"), r"\1" + MASK),
)


def url_without_query(url: str) -> str:
    """The URL to show: its query holds presigned policies and signatures, so it is left out."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def register_secret(value: str | None) -> None:
    """Remember a secret value so that `redact` hides it wherever it turns up."""
    global _secrets_pattern
    if not value or len(value) < _MIN_SECRET_LEN:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        # Longest first, so a secret that contains another is hidden whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        _secrets_pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """Return `text` with every registered secret and every secret-shaped token masked."""
    if not text:
        return text
    pattern = _secrets_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites a record's message (and traceback) through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_record(record: logging.LogRecord) -> None:
    if getattr(record, "_aplusctl_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not hide the record
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._aplusctl_redacted = True  # type: ignore[attr-defined]


_installed = False


def install_log_filter() -> None:
    """Redact every log record the process creates, whichever logger or handler sees it.

    A filter on one logger misses records propagated from its children, and handlers added
    later (pytest's, a CI wrapper's) would miss a handler filter; the record factory sees
    every record at birth. Handlers present now also get the filter. Idempotent.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    _installed = True
