"""Actions, reasons and warnings for one (document, marketplace), and for a document to prune."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aplusctl.content import generated as gen
from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.address import address_of, country_of
from aplusctl.engine.desired_body import desired_body, image_namer
from aplusctl.engine.diff import diff_documents
from aplusctl.engine.drift import drift
from aplusctl.engine.identity import LiveIndex
from aplusctl.engine.live import LiveDocument, LiveState
from aplusctl.engine.lock import Lock
from aplusctl.engine.normalize import normalize_document
from aplusctl.engine.plan_model import (
    NOTHING_TO_PUBLISH,
    PREMIUM_ASSETS_ONLY,
    Action,
    DriftKind,
    Generation,
    ImageUpload,
    PlanWarning,
    ResourceChange,
)


def plan_change(
    doc: DesiredDocument,
    mid: str,
    found: LiveDocument | None,
    previous: str | None,
    live: LiveState,
    index: LiveIndex,
    lock: Lock,
) -> ResourceChange:
    """What apply does to make `found` (None: not live) match the file's document in `mid`;
    `previous` is the live name when this renames it."""
    address = address_of(mid, doc.name)
    country = country_of(mid)
    generation = _generation(doc, lock)
    pending_generation = generation is not None and generation.needed
    after: dict[str, Any] | None = None  # unknown until a pending generation has run
    uploads: tuple[ImageUpload, ...] = ()
    new_images: frozenset[str] = frozenset()
    if not pending_generation:
        after, uploads, new_images = desired_body(doc, mid, lock)

    before = normalize_document(found.document) if found and found.document else None
    key = found.content_reference_key if found else None
    status = found.status if found else None
    rejection = found.rejection_reasons if found else ()
    desired_asins = tuple(sorted(set(doc.asins)))
    live_asins = tuple(sorted(set(found.asins or ()))) if found else ()
    added = tuple(a for a in desired_asins if a not in live_asins)
    removed = tuple(a for a in live_asins if a not in desired_asins)

    if doc.suspended:
        if found is None:
            suspend, why = False, f"status: suspended, and not live in {country}"
        elif _visible(found, live, doc.asins):
            suspend, why = True, "the file says status: suspended"
        else:
            suspend, why = False, "status: suspended, and no ASIN shows it"
        return ResourceChange(
            address=address, marketplace_id=mid, name=doc.name, path=doc.path,
            actions=("suspend",) if suspend else ("no-op",), reason=why,
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

    actions: list[Action] = []
    reasons: list[str] = []
    warnings: list[PlanWarning] = []
    if found is None:
        actions.append("create")
        reasons.append(f"not live in {country} yet")
        if desired_asins:
            actions.append("relate")
        if doc.submit:
            actions.append("submit")
    else:
        # a live document that could not be read back has no `before`: writing it is the safe choice
        if pending_generation or before != after:
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
        if doc.submit and ("update" in actions or status in ("DRAFT", "REJECTED")):
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
    warnings += _shown_elsewhere(desired_asins, mid, key, live, index)
    warnings += _assets_only(doc, generation, lock)

    drift_kind: DriftKind = "none"
    drift_note = ""
    if found is not None and after is not None and before is not None:
        entry = lock.document(mid, doc.name) or (
            lock.document(mid, previous) if previous else None
        )
        drift_kind, drift_note = drift(entry, after, before, desired_asins, live_asins)
        if drift_kind in ("live", "conflict"):
            reasons = [drift_note] + [r for r in reasons if r != "content differs"]
            warnings.append(PlanWarning("live-edit-overwritten", drift_note))
        elif drift_kind == "local" and "content differs" in reasons:
            reasons[reasons.index("content differs")] = "content changed in the files"

    if not actions:
        actions.append("no-op")
        reasons.append("live content matches the files")
    d = diff_documents(before, after, image_namer(lock, mid), new_images) if after is not None else None
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
        uploads=uploads,
        warnings=tuple(warnings),
        rejection_reasons=rejection,
        drift=drift_kind,
        drift_note=drift_note,
        generation=generation,
        submit=bool(doc.submit),
    )


def plan_prune(doc: LiveDocument, live: LiveState) -> ResourceChange:
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


def _shown_elsewhere(asins: Iterable[str], mid: str, key: str | None, live: LiveState,
                     index: LiveIndex) -> list[PlanWarning]:
    """ASINs whose detail page shows another document now: applying replaces it."""
    warnings: list[PlanWarning] = []
    for asin in asins:
        for record in live.records_for(mid, asin):
            if key is not None and record.content_reference_key == key:
                continue
            other = index.name_of(mid, record.content_reference_key) or record.content_reference_key
            warnings.append(PlanWarning(
                "asin-owned-elsewhere",
                f"{asin} shows '{other}' now; applying replaces it with this document",
            ))
            break
    return warnings


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


def _visible(doc: LiveDocument, live: LiveState, asins: Iterable[str]) -> bool:
    """Whether any ASIN shows this document now (publish records), or it is in review."""
    if doc.status == "SUBMITTED":
        return True
    for asin in set(asins) | set(doc.asins or ()):
        for record in live.records_for(doc.marketplace_id, asin):
            if record.content_reference_key == doc.content_reference_key:
                return True
    return False
