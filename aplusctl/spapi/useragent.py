"""The User-Agent Amazon asks every SP-API caller to send.

Form (Amazon's "include a User-Agent header" page): `AppId/AppVersion (Language=Name/Version;
Attr=Val)`, with `\\ / ( = ) ;` backslash-escaped inside values and at most 500 characters.
"""

from __future__ import annotations

import platform
import re

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
