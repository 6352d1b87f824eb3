"""What Pixii answers about jobs, read leniently: the Jobs API's fields, a submission answer's
few, and the aliases Pixii's pages use (`id`/`job_id`, `modules`/`module_urls`).

Result URLs are signed: they stay out of reprs (and so out of logs and tracebacks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from aplusctl.pixii import CREDIT_COST
from aplusctl.pixii.errors import PixiiProtocolError

RETENTION = timedelta(days=7)
TERMINAL = frozenset({"completed", "failed"})


@dataclass(frozen=True)
class VariantError:
    code: str
    message: str


@dataclass(frozen=True)
class Variant:
    """One requested A+ type's result: its module images in order and the composite preview."""

    type: str | None
    preview: str | None = field(repr=False)            # signed URLs: kept out of repr and logs
    modules: tuple[str, ...] = field(repr=False)
    error: VariantError | None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def credits_refunded(self) -> int:
        """Pixii refunds a failed variant's price."""
        return CREDIT_COST.get(self.type or "", 0) if self.error else 0


@dataclass(frozen=True)
class Job:
    id: str
    job_type: str | None
    status: str
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    credit_cost: int | None
    credits_refunded: int
    error_code: str | None
    variants: tuple[Variant, ...]
    expires_at: datetime | None
    expired: bool
    remaining_credits: int | None = None   # on submission answers, when Pixii sends it

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    @property
    def succeeded(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.ok)

    @property
    def failed(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if not v.ok)

    @property
    def credits_spent(self) -> int | None:
        return None if self.credit_cost is None else self.credit_cost - self.credits_refunded


@dataclass(frozen=True)
class JobSummary:
    id: str
    job_type: str | None
    status: str
    created_at: datetime | None


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def to_int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _variant(ad: Mapping[str, Any]) -> Variant:
    error = ad.get("error")
    failure = None
    if isinstance(error, Mapping):
        failure = VariantError(str(error.get("code") or "UNKNOWN"), str(error.get("message") or ""))
    elif isinstance(error, str) and error:
        failure = VariantError(error, error)
    modules = ad.get("modules") or ad.get("module_urls") or []
    return Variant(
        type=ad.get("type"),
        preview=ad.get("preview") or ad.get("preview_url"),
        modules=tuple(str(url) for url in modules if url),
        error=failure,
    )


def parse_job(data: Mapping[str, Any], *, requested_types: list[str] | None = None) -> Job:
    """A job from GET /jobs/{id} or a submission answer (which lacks most fields)."""
    job_id = data.get("id") or data.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise PixiiProtocolError("Pixii answered a job without an id.")
    output = data.get("output") if isinstance(data.get("output"), Mapping) else {}
    ads = output.get("ads") if isinstance(output.get("ads"), list) else []
    variants = tuple(_variant(ad) for ad in ads if isinstance(ad, Mapping))
    cost = to_int(data.get("credit_cost"))
    if cost is None and requested_types:
        cost = sum(CREDIT_COST.get(t, 0) for t in requested_types)
    refunded = to_int(data.get("credits_refunded"))
    if refunded is None:
        refunded = sum(v.credits_refunded for v in variants)
    error_code = data.get("error_code")
    if not error_code and isinstance(data.get("error"), Mapping):
        error_code = data["error"].get("code")
    completed = parse_time(data.get("completed_at"))
    expires = parse_time(data.get("expires_at")) or (completed + RETENTION if completed else None)
    expired = bool(data.get("expired")) or (
        expires is not None and datetime.now(timezone.utc) >= expires)
    return Job(
        id=job_id, job_type=data.get("job_type"), status=str(data.get("status") or "pending"),
        created_at=parse_time(data.get("created_at")), started_at=parse_time(data.get("started_at")),
        completed_at=completed, credit_cost=cost, credits_refunded=refunded,
        error_code=str(error_code) if error_code else None, variants=variants,
        expires_at=expires, expired=expired, remaining_credits=to_int(data.get("remaining_credits")),
    )
