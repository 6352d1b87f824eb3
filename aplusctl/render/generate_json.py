"""`aplusctl generate --format json`: one object on stdout for CI; progress stays on stderr."""

from __future__ import annotations

import json
from typing import Any

from aplusctl.content import generated as g
from aplusctl.engine.generate import GenerateResult
from aplusctl.engine.lock import Lock
from aplusctl.redact import redact

FORMAT_VERSION = 1


def render_json(result: GenerateResult, lock: Lock) -> str:
    generations: list[dict[str, Any]] = []
    for o in result.outcomes:
        record = lock.generations.get(o.stanza_hash) or {}
        generations.append({
            "document": o.document,
            "stanza_hash": o.stanza_hash,
            "status": o.status,
            "job_id": o.job_id,
            "types": list(record.get("types") or []),
            "directory": record.get("dir"),
            "credits_spent": o.credits_spent,
            "credits_refunded": o.credits_refunded,
            "error": {"code": o.code, "message": o.error} if o.error else None,
            "failed_variants": [
                {"type": variant, "code": code, "message": message, "credits_refunded": refunded}
                for variant, code, message, refunded in g.failed_variants(record)
            ],
            "notices": list(o.notices),
        })
    document = {
        "format_version": FORMAT_VERSION,
        "ok": result.ok,
        "generations": generations,
        "summary": {
            "generated": sum(o.status == "completed" for o in result.outcomes),
            "already_generated": sum(o.status == "skipped" for o in result.outcomes),
            "failed": sum(o.error is not None for o in result.outcomes),
            "credits_spent": result.credits_spent,
            "credits_refunded": result.credits_refunded,
        },
    }
    return redact(json.dumps(document, indent=2, sort_keys=True)) + "\n"
