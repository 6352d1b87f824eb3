"""The planner: what apply would do to each (document, marketplace), and why.

`make_plan` is a pure function of desired state (the loaded files), live state (refresh) and
aplus.lock: it never prints and does no I/O. Renderers turn a Plan into text, markdown or JSON;
apply executes its ResourceChanges in order (uploads → create/update → relate → submit/suspend).
The data model lives in plan_model.py and is re-exported here, so `from aplusctl.engine.plan
import Plan, ResourceChange, make_plan` stays the one import callers need.
"""

from __future__ import annotations

from collections.abc import Sequence

from aplusctl.config import RepoConfig
from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.actions import plan_change, plan_prune
from aplusctl.engine.address import address_of, selected
from aplusctl.engine.fingerprint import compute_fingerprint, stale_reasons
from aplusctl.engine.identity import LiveIndex, identify
from aplusctl.engine.live import LiveState
from aplusctl.engine.lock import Lock
from aplusctl.engine.plan_model import (
    ACTIONS,
    NOTHING_TO_PUBLISH,
    PLAN_FORMAT_VERSION,
    PREMIUM_ASSETS_ONLY,
    Action,
    DriftKind,
    Generation,
    ImageUpload,
    Plan,
    PlanError,
    PlanWarning,
    ResourceChange,
    Summary,
    UnmanagedDocument,
)

__all__ = [
    "ACTIONS", "NOTHING_TO_PUBLISH", "PLAN_FORMAT_VERSION", "PREMIUM_ASSETS_ONLY", "Action",
    "DriftKind", "Generation", "ImageUpload", "Plan", "PlanError", "PlanWarning", "ResourceChange",
    "Summary", "UnmanagedDocument", "make_plan", "stale_plan_reasons",
]


def make_plan(
    desired: Sequence[DesiredDocument],
    live: LiveState,
    lock: Lock,
    config: RepoConfig | None = None,
    *,
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
    target: str = "",
) -> Plan:
    """Pure: what apply would do to make `live` match `desired`, given what `lock` remembers."""
    prune = config is not None and config.prune
    index = LiveIndex(live)
    changes: list[ResourceChange] = []
    errors: list[PlanError] = []
    claimed: set[tuple[str, str]] = set()  # live documents some file is, or may be (ambiguous)

    for doc in desired:
        for mid in doc.marketplaces:
            if mid not in index.marketplaces:
                continue
            found, previous, error = identify(doc, mid, index, lock)
            address = address_of(mid, doc.name)
            if found is not None:
                claimed.add((mid, found.content_reference_key))
            if error:
                for d in index.named(mid, doc.name):
                    claimed.add((mid, d.content_reference_key))
            if not selected(doc.name, address, doc.path, targets, excludes):
                continue
            if found is not None and found.read_error:
                error = (
                    f"the live document {found.content_reference_key} cannot be read through "
                    f"SP-API ({found.read_error}); it may be Premium A+, which only Seller "
                    "Central can edit. Rename the file's document or remove it."
                )
            if error:
                errors.append(PlanError(address, error))
                continue
            changes.append(plan_change(doc, mid, found, previous, live, index, lock))

    unmanaged: list[UnmanagedDocument] = []
    for mid in index.marketplaces:
        managed = lock.managed_keys(mid)
        for d in index.documents(mid):
            if (mid, d.content_reference_key) in claimed:
                continue
            address = address_of(mid, d.name)
            if prune and d.content_reference_key in managed:
                if selected(d.name, address, "", targets, excludes):
                    changes.append(plan_prune(d, live))
                continue
            if not targets:
                unmanaged.append(
                    UnmanagedDocument(address, mid, d.name, d.content_reference_key, d.status)
                )

    uploads: dict[tuple[str, str], ImageUpload] = {}
    generations: dict[str, int] = {}
    for change in changes:
        for up in change.uploads:
            uploads.setdefault((up.sha256, up.marketplace_id), up)
        if change.generation is not None and change.generation.needed:
            generations[change.generation.stanza_hash] = change.generation.credits

    changes.sort(key=lambda c: (c.address.lower(), c.address))
    return Plan(
        changes=tuple(changes),
        target=target,
        unmanaged=tuple(sorted(unmanaged, key=lambda u: u.address)),
        errors=tuple(sorted(errors, key=lambda e: e.address)),
        uploads=tuple(sorted(uploads.values(), key=lambda u: (u.marketplace_id, u.path))),
        credits=sum(generations.values()),
        fingerprint=compute_fingerprint(desired, live, [(c.marketplace_id, c) for c in changes]),
    )


def stale_plan_reasons(saved: Plan, fresh: Plan) -> list[str]:
    """Why a saved plan may not be applied as it is (empty when it may): live state or files
    changed since it was made (fingerprints), another target, or different actions now."""
    reasons = stale_reasons(saved.fingerprint, fresh.fingerprint)
    if saved.target and fresh.target and saved.target != fresh.target:
        reasons.insert(0, f"the plan was made against {saved.target}; this run targets {fresh.target}")
    now_by_address = {c.address: c.actions for c in fresh.changes}
    for change in saved.changes:
        now = now_by_address.get(change.address)
        if now is not None and now != change.actions and not any(change.address in r for r in reasons):
            reasons.append(f"{change.address}: the plan says {' '.join(change.actions)}, "
                           f"now it would be {' '.join(now)}")
    return reasons
