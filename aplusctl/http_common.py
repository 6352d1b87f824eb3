"""What both HTTP clients (SP-API and Pixii) send and read the same way.

The User-Agent follows Amazon's "include a User-Agent header" page: `AppId/AppVersion
(Language=Name/Version; Attr=Val)`, with `\\ / ( = ) ;` backslash-escaped inside values and at
most 500 characters.
"""

from __future__ import annotations

import email.utils
import platform
import re
import time

from aplusctl import __version__

_SPECIAL = re.compile(r"([\\/()=;])")
MAX_LENGTH = 500


def _escape(value: str) -> str:
    return _SPECIAL.sub(r"\\\1", value)


def user_agent() -> str:
    """`aplusctl/<version> (Language=Python/<v>; Platform=<os>/<release>)`."""
    system = platform.system() or "unknown"
    release = platform.release()
    os_part = f"{_escape(system)}/{_escape(release)}" if release else _escape(system)
    agent = (
        f"aplusctl/{_escape(__version__)} "
        f"(Language=Python/{_escape(platform.python_version())}; Platform={os_part})"
    )
    return agent[:MAX_LENGTH]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if seconds == seconds else None
