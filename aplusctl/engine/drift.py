"""Drift: how a change came about, judged against what apply last sent (aplus.lock)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aplusctl.engine.normalize import asins_hash, normalized_hash
from aplusctl.engine.plan_model import DriftKind


def drift(
    entry: Mapping[str, Any] | None,
    after: dict[str, Any],
    before: dict[str, Any],
    desired_asins: tuple[str, ...],
    live_asins: tuple[str, ...],
) -> tuple[DriftKind, str]:
    """(kind, note): compare the lock entry's applied hashes with the files and with live."""
    if not entry or not entry.get("applied_hash"):
        return "none", ""
    applied = entry["applied_hash"]
    local_what: list[str] = []
    live_what: list[str] = []
    if normalized_hash(after) != applied:
        local_what.append("content")
    if normalized_hash(before) != applied:
        live_what.append("content")
    applied_asins = entry.get("asins_hash")
    if applied_asins:
        if asins_hash(desired_asins) != applied_asins:
            local_what.append("ASINs")
        if asins_hash(live_asins) != applied_asins:
            live_what.append("ASINs")
    if local_what and live_what:
        if after == before and desired_asins == live_asins:
            return "none", "the files and live agree again"
        return "conflict", (
            f"conflict: {' and '.join(local_what)} changed in the files and "
            f"{' and '.join(live_what)} changed live since the last apply; "
            "apply overwrites the live edit with the files' version"
        )
    if live_what:
        return "live", (
            f"{' and '.join(live_what)} changed live (e.g. in Seller Central) since the last "
            "apply; apply puts the files' version back"
        )
    if local_what:
        return "local", f"{' and '.join(local_what)} changed in the files since the last apply"
    return "none", ""
