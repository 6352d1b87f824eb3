"""A job's life, computed from its timestamps, and its wire views; plus the signed asset URLs.

Nothing runs in the background: a job submitted at t with duration d is `pending` until
t + d/5, `processing` until t + d, then `completed` (or `failed` when every variant failed).
Any reader at any moment (and after a restart) therefore sees the same state.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from typing import Any

from aplusctl.sandbox.pixii_model import CREDIT_COST, JOB_TYPE, VARIANTS
from aplusctl.sandbox.pixii_store import JobRow, refunded_credits

RETENTION_SECONDS = 7 * 86400   # results and their signed URLs live this long after completion
_PENDING_SHARE = 0.2


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def started_at(job: JobRow) -> float:
    return job.created_at + job.duration * _PENDING_SHARE


def completed_at(job: JobRow) -> float:
    return job.created_at + job.duration


def status(job: JobRow, now: float) -> str:
    if now < started_at(job):
        return "pending"
    if now < completed_at(job):
        return "processing"
    return "failed" if all(v.get("error") for v in job.variants) else "completed"


def expires_at(job: JobRow) -> float:
    return completed_at(job) + RETENTION_SECONDS


def sign(secret: bytes, path: str, expires: int) -> str:
    return hmac.new(secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def signature_ok(secret: bytes, path: str, expires: int, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, path, expires), signature)


def asset_paths(job: JobRow, variant: str) -> tuple[str, list[str]]:
    """The preview's and the modules' paths, relative to the Pixii mount."""
    spec = VARIANTS[variant]
    base = f"/assets/{job.id}/{spec.slug}"
    return f"{base}/preview.png", [f"{base}/module-{i:02d}.png" for i in range(1, spec.modules + 1)]


def summary_view(job: JobRow, now: float) -> dict[str, Any]:
    return {"id": job.id, "job_type": JOB_TYPE, "status": status(job, now),
            "created_at": iso(job.created_at)}


def job_view(job: JobRow, now: float, base_url: str, secret: bytes) -> dict[str, Any]:
    """GET /v1/api/jobs/{id}: the Jobs API fields, plus `expires_at`/`expired` for retention."""
    state = status(job, now)
    done = state in ("completed", "failed")
    expired = done and now >= expires_at(job)
    output: dict[str, Any] | None = None
    if state == "completed":
        expires = int(expires_at(job))

        def url(path: str) -> str:
            return f"{base_url}{path}?expires={expires}&signature={sign(secret, path, expires)}"

        ads = []
        for variant in job.variants:
            preview, modules = asset_paths(job, variant["type"])
            failed = variant.get("error")
            ads.append({
                "type": variant["type"],
                "preview": None if failed else url(preview),
                "modules": [] if failed else [url(m) for m in modules],
                "error": failed or None,
            })
        output = {"ads": ads}
    error_code = None
    if state == "failed":
        error_code = job.variants[0]["error"]["code"]
    return {
        "id": job.id,
        "job_type": JOB_TYPE,
        "status": state,
        "created_at": iso(job.created_at),
        "started_at": iso(started_at(job)) if state != "pending" else None,
        "completed_at": iso(completed_at(job)) if done else None,
        "credit_cost": job.credit_cost,
        "credits_refunded": refunded_credits(job.variants) if done else 0,
        "output": output,
        "error_code": error_code,
        "expires_at": iso(expires_at(job)) if done else None,
        "expired": expired,
    }


def credit_cost(types: list[str]) -> int:
    return sum(CREDIT_COST[t] for t in types)
