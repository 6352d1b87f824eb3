"""The action's outputs, from the plan JSON's `summary` (docs/plan-json.md).

One small mapping, so a renamed summary key is a one-line change here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aplusctl.errors import UserError

# output name → summary keys to read, first present wins (docs/plan-json.md's name first)
_FROM_SUMMARY: dict[str, tuple[str, ...]] = {
    "to_create": ("create", "to_create"),
    "to_update": ("update", "to_update"),
    "to_suspend": ("suspend", "to_suspend"),
    "images_to_upload": ("images_to_upload", "uploads"),
    "credits": ("pixii_credits", "credits"),
}
# Other summary counts that also mean "apply would do something" when has_changes is absent.
_ALSO_CHANGES: tuple[str, ...] = ("relate", "submit")


def _count(summary: Mapping[str, Any], keys: tuple[str, ...]) -> int:
    for key in keys:
        value = summary.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


def plan_outputs(plan: Mapping[str, Any]) -> dict[str, str]:
    """has_changes plus the counts, as the strings $GITHUB_OUTPUT takes."""
    summary = plan.get("summary")
    if not isinstance(summary, Mapping):
        raise UserError("the plan JSON has no `summary` object (is it `aplusctl plan --format json` output?)")
    counts = {name: _count(summary, keys) for name, keys in _FROM_SUMMARY.items()}
    explicit = plan.get("has_changes", summary.get("has_changes"))
    if isinstance(explicit, bool):
        has_changes = explicit
    else:
        has_changes = any(counts.values()) or any(_count(summary, (k,)) for k in _ALSO_CHANGES)
    return {"has_changes": "true" if has_changes else "false", **{k: str(v) for k, v in counts.items()}}


def read_plan(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read the plan {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise UserError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} is not a plan: expected a JSON object")
    return data
