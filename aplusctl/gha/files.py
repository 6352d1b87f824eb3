"""The runner's environment files: $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY.

Both are shared by every step of the job, so we only ever append to them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path

from aplusctl.errors import UserError


def env_file(name: str) -> Path:
    """The file the runner named in `name`; a clear error outside GitHub Actions."""
    value = os.environ.get(name, "")
    if not value:
        raise UserError(f"{name} is not set: this command runs inside a GitHub Actions step")
    return Path(value)


def format_output(name: str, value: str) -> str:
    """`name=value`, or the heredoc form with a random delimiter for multi-line values."""
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def append_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    with path.open("a", encoding="utf-8") as out:
        for name, value in outputs.items():
            out.write(format_output(name, value))


def append_summary(path: Path, markdown: str) -> None:
    """Add to the step summary; a blank line keeps our block apart from earlier ones."""
    if not markdown.strip():
        return
    with path.open("a", encoding="utf-8") as out:
        if path.exists() and path.stat().st_size > 0:
            out.write("\n")
        out.write(markdown if markdown.endswith("\n") else markdown + "\n")
