"""Register secrets with the runner (`::add-mask::`) before anything can print them.

Standard library only and runnable as a plain script (`python mask.py NAME...`), so the action
can run it as its very first step, before aplusctl itself is installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence

# The environment variables that hold secrets (credentials.py uses the same names).
SECRET_ENV_VARS: tuple[str, ...] = (
    "LWA_APP_ID",
    "LWA_CLIENT_SECRET",
    "SP_API_REFRESH_TOKEN",
    "PIXII_API_KEY",
    "GITHUB_TOKEN",
)


def _escape(text: str) -> str:
    # The runner unescapes a command's data; escape it so the mask is the secret byte for byte.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def mask_commands(values: Iterable[str]) -> list[str]:
    """One `::add-mask::` line per secret, and one per line of a multi-line secret.

    The runner masks output line by line, so a multi-line secret (a PEM key) needs each line
    registered on its own as well.
    """
    lines: list[str] = []
    for value in values:
        if not value or not value.strip():
            continue
        parts = [value] + [p for p in value.splitlines() if p.strip() and p != value]
        for part in parts:
            command = f"::add-mask::{_escape(part)}"
            if command not in lines:
                lines.append(command)
    return lines


def mask_env(names: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
    """Mask commands for the named environment variables that are set."""
    env = os.environ if env is None else env
    return mask_commands(env.get(name, "") for name in names)


def main(argv: Sequence[str]) -> int:
    names = list(argv) or list(SECRET_ENV_VARS)
    for line in mask_env(names):
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
