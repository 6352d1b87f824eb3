"""Machine view of a Plan (documented in docs/plan-json.md), and its inverse for saved plans.

`plan_to_dict` is the versioned schema; `plan_from_dict` rebuilds the Plan apply executes from a
file written by `aplusctl plan --out`. Field names are snake_case; before/after bodies stay in the
API's camelCase shape.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from aplusctl.engine.diff import FieldChange, WordOp
from aplusctl.engine.plan import (
    PLAN_FORMAT_VERSION,
    Generation,
    ImageUpload,
    Plan,
    PlanError,
    PlanWarning,
    ResourceChange,
    UnmanagedDocument,
)
from aplusctl.errors import UserError


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    s = plan.summary
    return {
        "format_version": plan.format_version,
        "target": plan.target,
        "has_changes": plan.has_changes,
        "summary": {
            "create": s.create,
            "update": s.update,
            "relate": s.relate,
            "submit": s.submit,
            "suspend": s.suspend,
            "no_op": s.no_op,
            "images_to_upload": s.uploads,
            "pixii_credits": s.credits,
            "unmanaged": s.unmanaged,
            "errors": s.errors,
        },
        "resource_changes": [_change(c) for c in plan.changes],
        "uploads": [asdict(u) for u in plan.uploads],
        "unmanaged": [asdict(u) for u in plan.unmanaged],
        "errors": [asdict(e) for e in plan.errors],
        "fingerprint": plan.fingerprint,
    }


def _change(c: ResourceChange) -> dict[str, Any]:
    return {
        "address": c.address,
        "marketplace_id": c.marketplace_id,
        "name": c.name,
        "path": c.path,
        "actions": list(c.actions),
        "reason": c.reason,
        "content_reference_key": c.content_reference_key,
        "previous_name": c.previous_name,
        "live_status": c.live_status,
        "drift": {"kind": c.drift, "note": c.drift_note},
        "before": c.before,
        "after": c.after,
        "diff": [_field(f) for f in c.diff],
        "unchanged_fields": c.unchanged_fields,
        "asins": {
            "before": list(c.asins_before),
            "after": list(c.asins_after),
            "added": list(c.asins_added),
            "removed": list(c.asins_removed),
        },
        "uploads": [asdict(u) for u in c.uploads],
        "warnings": [asdict(w) for w in c.warnings],
        "rejection_reasons": list(c.rejection_reasons),
        "generation": None if c.generation is None else {
            **asdict(c.generation), "types": list(c.generation.types)
        },
        "submit": c.submit,
    }


def _field(f: FieldChange) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": f.kind, "path": f.path, "before": f.before, "after": f.after}
    if f.note:
        out["note"] = f.note
    if f.words is not None:
        out["words"] = [[w.op, w.text] for w in f.words]
    return out


# --- reading a saved plan -------------------------------------------------------------------------


def plan_from_dict(data: Any, where: str = "the plan file") -> Plan:
    """Rebuild a Plan from `plan_to_dict` output; a malformed file is a UserError."""
    if not isinstance(data, dict) or "resource_changes" not in data:
        raise UserError(f"{where} is not an aplusctl plan (no resource_changes)")
    version = data.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        raise UserError(
            f"{where} has format_version {version!r}; this aplusctl reads "
            f"{PLAN_FORMAT_VERSION}. Run plan again."
        )
    try:
        changes = tuple(_read_change(c) for c in data["resource_changes"])
        return Plan(
            changes=changes,
            target=str(data.get("target", "")),
            unmanaged=tuple(UnmanagedDocument(**u) for u in data.get("unmanaged", [])),
            errors=tuple(PlanError(**e) for e in data.get("errors", [])),
            uploads=tuple(ImageUpload(**u) for u in data.get("uploads", [])),
            credits=int(data.get("summary", {}).get("pixii_credits", 0)),
            fingerprint=dict(data.get("fingerprint") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{where} is damaged ({type(exc).__name__}: {exc}); run plan again") from None


def load_plan_file(text: str, where: str) -> Plan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    return plan_from_dict(data, where)


def _read_change(c: dict[str, Any]) -> ResourceChange:
    gen = c.get("generation")
    asins = c.get("asins", {})
    return ResourceChange(
        address=c["address"],
        marketplace_id=c["marketplace_id"],
        name=c["name"],
        path=c.get("path", ""),
        actions=tuple(c["actions"]),
        reason=c.get("reason", ""),
        content_reference_key=c.get("content_reference_key"),
        previous_name=c.get("previous_name"),
        live_status=c.get("live_status"),
        before=c.get("before"),
        after=c.get("after"),
        diff=tuple(
            FieldChange(
                kind=f["kind"], path=f["path"], before=f.get("before"), after=f.get("after"),
                words=None if f.get("words") is None else tuple(WordOp(o, t) for o, t in f["words"]),
                note=f.get("note", ""),
            )
            for f in c.get("diff", [])
        ),
        unchanged_fields=int(c.get("unchanged_fields", 0)),
        asins_before=tuple(asins.get("before", ())),
        asins_after=tuple(asins.get("after", ())),
        asins_added=tuple(asins.get("added", ())),
        asins_removed=tuple(asins.get("removed", ())),
        uploads=tuple(ImageUpload(**u) for u in c.get("uploads", [])),
        warnings=tuple(PlanWarning(**w) for w in c.get("warnings", [])),
        rejection_reasons=tuple(c.get("rejection_reasons", ())),
        drift=c.get("drift", {}).get("kind", "none"),
        drift_note=c.get("drift", {}).get("note", ""),
        generation=None if gen is None else Generation(
            stanza_hash=gen["stanza_hash"], types=tuple(gen["types"]), credits=int(gen["credits"]),
            needed=bool(gen.get("needed", True)), note=gen.get("note", ""),
        ),
        submit=bool(c.get("submit", True)),
    )
