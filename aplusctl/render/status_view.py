"""`aplusctl status` views: a table-like text block per document, or JSON."""

from __future__ import annotations

import json
from typing import Any

from aplusctl.engine.status import ABSENT, DocStatus
from aplusctl.redact import redact
from aplusctl.render.style import paint

STATUS_FORMAT_VERSION = 1

_MEANING = {
    "DRAFT": "draft, not submitted",
    "SUBMITTED": "in moderation (review can take up to 7 business days)",
    "APPROVED": "approved (publishing can take up to 24 h)",
    "REJECTED": "rejected in moderation",
    ABSENT: "does not exist live",
}


# each status in the colour of a plan role (render/style.py)
_ROLES = {"APPROVED": "added", "REJECTED": "removed", "SUBMITTED": "update", "DRAFT": "relate",
          ABSENT: "dim"}


def render_status_text(statuses: list[DocStatus], color: bool = False) -> str:
    if not statuses:
        return "No documents match.\n"
    lines: list[str] = []
    for s in sorted(statuses, key=lambda s: s.address):
        head = paint(s.status, _ROLES.get(s.status, ""), color)
        when = f", changed {s.update_time}" if s.update_time else ""
        lines.append(f"{s.address}: {head} — {_MEANING.get(s.status, s.status.lower())}{when}")
        if s.content_reference_key:
            lines.append(f"    key: {s.content_reference_key}")
        for reason in s.rejection_reasons:
            lines.append(f"    reason: {reason}")
        if s.status != ABSENT:
            shown = ", ".join(s.showing_asins) or "none yet"
            lines.append(f"    shown on: {shown}")
            if s.waiting_asins:
                lines.append(f"    related, not shown yet: {', '.join(s.waiting_asins)}")
            for asin, key in s.elsewhere.items():
                lines.append(f"    {asin} shows another document ({key})")
        if s.note:
            lines.append(f"    note: {s.note}")
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.status] = counts.get(s.status, 0) + 1
    order = ["APPROVED", "SUBMITTED", "DRAFT", "REJECTED", ABSENT]
    parts = [f"{counts[k]} {k.lower()}" for k in order if counts.get(k)]
    parts += [f"{v} {k.lower()}" for k, v in counts.items() if k not in order]
    lines.append("")
    lines.append(f"Status: {', '.join(parts)}.")
    return redact("\n".join(lines)) + "\n"


def status_json(s: DocStatus) -> dict[str, Any]:
    return {
        "address": s.address,
        "name": s.name,
        "marketplace_id": s.marketplace_id,
        "status": s.status,
        "content_reference_key": s.content_reference_key,
        "update_time": s.update_time,
        "rejection_reasons": list(s.rejection_reasons),
        "related_asins": list(s.related_asins),
        "showing_asins": list(s.showing_asins),
        "asins_showing_other_documents": dict(s.elsewhere),
        "note": s.note,
    }


def render_status_json(statuses: list[DocStatus]) -> str:
    data = {
        "format_version": STATUS_FORMAT_VERSION,
        "documents": [status_json(s) for s in sorted(statuses, key=lambda s: s.address)],
    }
    return redact(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
