"""Fingerprints: what a saved plan was computed from, so apply can refuse a stale one.

A fingerprint is plain JSON (it travels inside the saved plan file)::

    {"live":  {"US/Chef Knife": {"content_reference_key": "...", "update_time": "...",
                                 "status": "APPROVED", "asins_hash": "sha256:..."},
               "US/New One": "absent"},
     "files": {"content/chef-knife.yaml": "sha256:..."}}

Apply re-plans against fresh live state and calls `stale_reasons(saved, fresh)`: any difference
is a human sentence ("US/Chef Knife changed live since the plan was made"), and a non-empty list
means: refuse, run plan again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aplusctl.content.generated import stanza_hash
from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.live import LiveState
from aplusctl.engine.normalize import asins_hash, canonical_json

ABSENT = "absent"


def compute_fingerprint(
    desired: Sequence[DesiredDocument], live: LiveState, changes: Iterable[tuple[str, Any]]
) -> dict[str, Any]:
    """Fingerprint of the live documents behind `changes` and of the files that declare them.

    `changes` pairs (marketplaceId, ResourceChange); a change with no content_reference_key
    stands for a document that did not exist ("absent").
    """
    by_key = {(d.marketplace_id, d.content_reference_key): d for d in live.documents}
    live_fp: dict[str, Any] = {}
    paths: set[str] = set()
    for mid, change in changes:
        if change.path:
            paths.add(change.path)
        key = change.content_reference_key
        doc = by_key.get((mid, key)) if key else None
        if doc is None:
            live_fp[change.address] = ABSENT
            continue
        live_fp[change.address] = {
            "content_reference_key": doc.content_reference_key,
            "update_time": doc.update_time,
            "status": doc.status,
            "asins_hash": asins_hash(doc.asins or ()),
        }
    files: dict[str, str] = {}
    for doc in desired:
        if doc.path in paths:
            files[doc.path] = _combine(files.get(doc.path), desired_hash(doc))
    return {"files": dict(sorted(files.items())), "live": dict(sorted(live_fp.items()))}


def _combine(previous: str | None, h: str) -> str:
    if previous is None:
        return h
    return "sha256:" + hashlib.sha256((previous + h).encode()).hexdigest()


def desired_hash(doc: DesiredDocument) -> str:
    """Hash of everything a content file says about one document (bytes of images included)."""
    data = {
        "name": doc.name,
        "marketplaces": list(doc.marketplaces),
        "asins": sorted(set(doc.asins)),
        "previous_names": list(doc.previous_names),
        "content_reference_key": doc.content_reference_key,
        "submit": bool(doc.submit),
        "suspended": bool(doc.suspended),
        "generate": stanza_hash(doc.generate) if doc.generate is not None else None,
        "content_type": doc.content_type,
        "locales": dict(doc.locales),
        "modules": doc.modules,
        "images": {p: i.sha256 for p, i in sorted(doc.images.items())},
    }
    return "sha256:" + hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def stale_reasons(saved: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """Why a plan saved with fingerprint `saved` no longer holds; empty when it still does."""
    reasons: list[str] = []
    old_live: Mapping[str, Any] = saved.get("live", {})
    new_live: Mapping[str, Any] = fresh.get("live", {})
    for address in sorted(set(old_live) | set(new_live)):
        before, now = old_live.get(address), new_live.get(address)
        if before == now:
            continue
        if address not in new_live:
            reasons.append(f"{address} is no longer in the plan's scope")
        elif address not in old_live:
            reasons.append(f"{address} was not in the plan")
        elif before == ABSENT:
            reasons.append(f"{address} was created live since the plan was made")
        elif now == ABSENT:
            reasons.append(f"{address} disappeared live since the plan was made")
        else:
            reasons.append(f"{address} changed live since the plan was made")
    old_files: Mapping[str, str] = saved.get("files", {})
    new_files: Mapping[str, str] = fresh.get("files", {})
    for path in sorted(set(old_files) | set(new_files)):
        if old_files.get(path) != new_files.get(path):
            if path not in new_files:
                reasons.append(f"{path} is gone or no longer in scope since the plan was made")
            elif path not in old_files:
                reasons.append(f"{path} was not part of the plan")
            else:
                reasons.append(f"{path} changed since the plan was made")
    return reasons
