"""What triggered the workflow, from the runner's environment and event payload."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})


def is_pull_request(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("GITHUB_EVENT_NAME", "") in PULL_REQUEST_EVENTS


def pull_request_number(env: Mapping[str, str] | None = None) -> int | None:
    """The PR number from $GITHUB_EVENT_PATH, or None when the event has none."""
    env = os.environ if env is None else env
    path = env.get("GITHUB_EVENT_PATH", "")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    return number if isinstance(number, int) else None
