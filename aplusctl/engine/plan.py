"""The planner: what apply would do to each (document, marketplace), and why.

`make_plan` is a pure function of desired state (the loaded files), live state (refresh) and
aplus.lock: it never prints and does no I/O. Renderers turn a Plan into text, markdown or JSON;
apply executes its ResourceChanges in order (uploads → create/update → relate → submit/suspend).
The data model lives in plan_model.py and is re-exported here, so `from aplusctl.engine.plan
import Plan, ResourceChange, make_plan` stays the one import callers need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from aplusctl.config import RepoConfig
from aplusctl.content import generated as gen
from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.address import address_of, selected
from aplusctl.engine.diff import diff_documents
from aplusctl.engine.fingerprint import compute_fingerprint, stale_reasons
from aplusctl.engine.identity import LiveIndex, identify
from aplusctl.engine.live import LiveDocument, LiveState
from aplusctl.engine.lock import Lock
from aplusctl.engine.normalize import asins_hash, image_ids, normalize_document, normalized_hash
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


# --- the planner ------------------------------------------------------------------------------

LOCAL = "local:"


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
    claimed: set[tuple[str, str]] = set()
    in_scope: list[tuple[DesiredDocument, str, LiveDocument | None, str | None]] = []

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
            if not error and found is not None and found.read_error:
                error = (
                    f"the live document {found.content_reference_key} cannot be read through "
                    f"SP-API ({found.read_error}); it may be Premium A+, which only Seller "
                    "Central can edit. Rename the file's document or remove it."
                )
            if error:
                errors.append(PlanError(address, error))
                continue
            in_scope.append((doc, mid, found, previous))

    for doc, mid, found, previous in in_scope:
        changes.append(_plan_one(doc, mid, found, previous, live, index, lock))

    unmanaged: list[UnmanagedDocument] = []
    for mid in index.marketplaces:
        managed = lock.managed_keys(mid)
        for d in index.documents(mid):
            if (mid, d.content_reference_key) in claimed:
                continue
            address = address_of(mid, d.name)
            if prune and d.content_reference_key in managed:
                if selected(d.name, address, "", targets, excludes):
                    changes.append(_plan_prune(d, live))
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


def _generation(doc: DesiredDocument, lock: Lock) -> Generation | None:
    if doc.generate is None:
        return None
    pending = gen.pending_generation(doc, lock)
    if pending is None:
        return Generation(
            stanza_hash=gen.stanza_hash(doc.generate),
            types=gen.stanza_types(doc.generate),
            credits=gen.generation_cost(doc.generate),
            needed=False,
            note="generated earlier (aplus.lock)",
        )
    return Generation(
        stanza_hash=pending.stanza_hash,
        types=pending.types,
        credits=pending.credits,
        needed=True,
        note=pending.summary,
    )


def _assets_only(doc: DesiredDocument, generation: Generation | None, lock: Lock
                 ) -> list[PlanWarning]:
    """Premium and Premium Mobile: generated into the repo, uploaded by hand in Seller Central."""
    if generation is None or doc.generate is None:
        return []
    record = None if generation.needed else gen.completed_record(doc.generate, lock)
    if record is None:  # not generated yet: where its files will be
        record = {"types": list(generation.types),
                  "dir": gen.document_dir(doc.name, doc.path, generation.stanza_hash, lock)}
    notice = gen.assets_only_notice(record)
    return [PlanWarning(PREMIUM_ASSETS_ONLY, notice)] if notice else []


def _image_namer(lock: Lock, mid: str) -> Callable[[str], str]:
    """Names images by the file aplus.lock recorded for their uploadDestinationId."""
    names: dict[str, str] = {}
    for per_market in lock.uploads.values():
        entry = per_market.get(mid)
        if entry and entry.get("path"):
            names[entry["upload_destination_id"]] = entry["path"]

    def name(udi: str) -> str:
        if udi.startswith(LOCAL):
            return udi[len(LOCAL):]
        return names.get(udi, udi)

    return name


def _plan_one(
    doc: DesiredDocument,
    mid: str,
    found: LiveDocument | None,
    previous: str | None,
    live: LiveState,
    index: LiveIndex,
    lock: Lock,
) -> ResourceChange:
    address = address_of(mid, doc.name)
    country = address.split("/", 1)[0]
    generation = _generation(doc, lock)
    pending_generation = generation is not None and generation.needed

    # desired body, images resolved through the lock where it knows an upload in this marketplace
    uploads: list[ImageUpload] = []
    after: dict[str, Any] | None = None
    new_images: set[str] = set()
    if not pending_generation:
        def resolve(path: str) -> str | None:
            image = doc.images.get(path)
            return lock.upload_for(image.sha256, mid) if image is not None else None

        after = normalize_document(doc.body(mid, resolve))
        seen: set[str] = set()
        for udi in image_ids(after):
            if udi.startswith(LOCAL) and udi not in seen:
                seen.add(udi)
                new_images.add(udi)
                image = doc.images[udi[len(LOCAL):]]
                uploads.append(ImageUpload(image.path, image.sha256, mid, image.size, image.mime))

    before = normalize_document(found.document) if found and found.document else None
    key = found.content_reference_key if found else None
    desired_asins = tuple(sorted(set(doc.asins)))
    live_asins = tuple(sorted(set(found.asins or ()))) if found else ()
    added = tuple(a for a in desired_asins if a not in set(live_asins))
    removed = tuple(a for a in live_asins if a not in set(desired_asins))
    status = found.status if found else None

    namer = _image_namer(lock, mid)
    d = diff_documents(before, after, namer, frozenset(new_images)) if after is not None else None
    warnings: list[PlanWarning] = []
    reasons: list[str] = []
    actions: list[Action] = []
    rejection = found.rejection_reasons if found else ()

    if doc.suspended:
        visible = found is not None and _visible(found, live, doc.asins)
        if visible:
            actions.append("suspend")
            reasons.append("the file says status: suspended")
        elif found is None:
            reasons.append(f"status: suspended, and not live in {country}")
        else:
            reasons.append("status: suspended, and no ASIN shows it")
        return ResourceChange(
            address=address, marketplace_id=mid, name=doc.name, path=doc.path,
            actions=tuple(actions) or ("no-op",), reason="; ".join(reasons),
            content_reference_key=key, live_status=status, before=before, after=after,
            asins_before=live_asins, asins_after=desired_asins, submit=False,
            rejection_reasons=rejection,
        )

    nothing = gen.nothing_to_publish(doc, lock)
    if nothing is not None:  # no module for the SP-API: say so rather than create an empty document
        return ResourceChange(
            address=address, marketplace_id=mid, name=doc.name, path=doc.path,
            actions=("no-op",), reason="nothing for the SP-API to publish",
            content_reference_key=key, live_status=status, before=before,
            asins_before=live_asins, asins_after=desired_asins, submit=False,
            warnings=(PlanWarning(NOTHING_TO_PUBLISH, nothing), *_assets_only(doc, generation, lock)),
            generation=generation,
        )

    if found is None:
        actions.append("create")
        reasons.append(f"not live in {country} yet")
        if desired_asins:
            actions.append("relate")
        if doc.submit:
            actions.append("submit")
    else:
        content_changed = pending_generation or (after is not None and before != after)
        if found.document is None:
            content_changed = True  # could not be read back: writing it is the safe choice
        if content_changed:
            actions.append("update")
            if previous is not None:
                reasons.append(f"renamed from '{previous}'")
            elif pending_generation:
                reasons.append("content will be generated")
            else:
                reasons.append("content differs")
        if added or removed:
            actions.append("relate")
            reasons.append(f"ASIN set changes (+{len(added)} -{len(removed)})")
        if doc.submit and (
            "update" in actions or status in ("DRAFT", "REJECTED")
        ):
            actions.append("submit")
            if "update" not in actions:
                reasons.append(
                    f"status {status}: "
                    + ("not submitted for approval yet" if status == "DRAFT" else "rejected, resubmit it")
                )
        if status == "SUBMITTED" and "submit" in actions:
            warnings.append(PlanWarning(
                "resubmit-in-review",
                "still in review (SUBMITTED): this update resubmits it and restarts review",
            ))
        if status == "REJECTED":
            why = "; ".join(rejection) if rejection else "no reasons given by the API"
            warnings.append(PlanWarning("rejected", f"rejected in review: {why}"))
        for asin in removed:
            warnings.append(PlanWarning(
                "asin-removed", f"{asin} is removed from the ASIN set and loses this content",
            ))
    for asin in desired_asins:
        for record in live.records_for(mid, asin):
            if key is not None and record.content_reference_key == key:
                continue
            other = index.name_of(mid, record.content_reference_key) or record.content_reference_key
            warnings.append(PlanWarning(
                "asin-owned-elsewhere",
                f"{asin} shows '{other}' now; applying replaces it with this document",
            ))
            break

    warnings += _assets_only(doc, generation, lock)

    drift, drift_note = "none", ""
    if found is not None and after is not None and before is not None:
        entry = lock.document(mid, doc.name) or (
            lock.document(mid, previous) if previous else None
        )
        drift, drift_note = _drift(entry, after, before, desired_asins, live_asins)
        if drift in ("live", "conflict"):
            reasons = [drift_note] + [r for r in reasons if r != "content differs"]
            warnings.append(PlanWarning("live-edit-overwritten", drift_note))
        elif drift == "local" and "content differs" in reasons:
            reasons[reasons.index("content differs")] = "content changed in the files"

    if not actions:
        actions.append("no-op")
        reasons.append("live content matches the files")
    return ResourceChange(
        address=address,
        marketplace_id=mid,
        name=doc.name,
        path=doc.path,
        actions=tuple(actions),
        reason="; ".join(reasons),
        content_reference_key=key,
        previous_name=previous,
        live_status=status,
        before=before,
        after=after,
        diff=d.changes if d else (),
        unchanged_fields=d.unchanged if d else 0,
        asins_before=live_asins,
        asins_after=desired_asins,
        asins_added=added,
        asins_removed=removed,
        uploads=tuple(uploads),
        warnings=tuple(warnings),
        rejection_reasons=rejection,
        drift=drift,  # type: ignore[arg-type]
        drift_note=drift_note,
        generation=generation,
        submit=bool(doc.submit),
    )


def _drift(
    entry: Mapping[str, Any] | None,
    after: dict[str, Any],
    before: dict[str, Any],
    desired_asins: tuple[str, ...],
    live_asins: tuple[str, ...],
) -> tuple[str, str]:
    """Compare what apply last sent (aplus.lock) with the files and with live."""
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


def _visible(doc: LiveDocument, live: LiveState, asins: Iterable[str]) -> bool:
    """Whether any ASIN shows this document now (publish records), or it is in review."""
    if doc.status == "SUBMITTED":
        return True
    for asin in set(asins) | set(doc.asins or ()):
        for record in live.records_for(doc.marketplace_id, asin):
            if record.content_reference_key == doc.content_reference_key:
                return True
    return False


def _plan_prune(doc: LiveDocument, live: LiveState) -> ResourceChange:
    """A document apply once managed that no file declares, in a repo that prunes."""
    visible = _visible(doc, live, ())
    return ResourceChange(
        address=address_of(doc.marketplace_id, doc.name),
        marketplace_id=doc.marketplace_id,
        name=doc.name,
        path="",
        actions=("suspend",) if visible else ("no-op",),
        reason=(
            "no file declares it any more and aplusctl.yaml prunes documents aplus.lock "
            "records as managed" + ("" if visible else "; already not shown on any ASIN")
        ),
        content_reference_key=doc.content_reference_key,
        live_status=doc.status,
        before=normalize_document(doc.document) if doc.document else None,
        asins_before=tuple(sorted(doc.asins or ())),
        submit=False,
    )
