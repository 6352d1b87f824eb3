"""Live moderation status per (document, marketplace), and bounded waiting for moderation.

`status` answers "where is my content?": DRAFT, SUBMITTED, APPROVED or REJECTED (with the
reasons), when it last changed, and which ASINs' detail pages show it (publish records), which
can lag the ASIN relations. Waiting polls one searchContentDocuments listing per marketplace
rather than each document, and never more often than the caller's interval: Amazon asks real
accounts to check approval no more than once an hour per document.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aplusctl.marketplaces import lookup
from aplusctl.redact import redact

PENDING = "SUBMITTED"
ABSENT = "ABSENT"

# Amazon's advice for real accounts (A+ use-case guide): check approval once an hour at most.
REAL_POLL_SECONDS = 3600.0
SANDBOX_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class StatusQuery:
    """One (document, marketplace) to report on."""

    name: str
    marketplace_id: str
    asins: tuple[str, ...] = ()
    content_reference_key: str | None = None   # pinned in the file or recorded in aplus.lock
    previous_names: tuple[str, ...] = ()        # a rename not applied yet is found by these

    @property
    def address(self) -> str:
        market = lookup(self.marketplace_id)
        return f"{market.country if market else self.marketplace_id}/{self.name}"


@dataclass(frozen=True)
class DocStatus:
    address: str
    name: str
    marketplace_id: str
    status: str                                 # DRAFT | SUBMITTED | APPROVED | REJECTED | ABSENT
    content_reference_key: str | None = None
    update_time: str | None = None
    rejection_reasons: tuple[str, ...] = ()
    related_asins: tuple[str, ...] = ()         # listContentDocumentAsinRelations
    showing_asins: tuple[str, ...] = ()         # publish records pointing at this document
    elsewhere: Mapping[str, str] = field(default_factory=dict)  # asin → key of the doc shown
    note: str = ""


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


@dataclass(frozen=True)
class _Meta:
    key: str
    name: str
    status: str
    update_time: str | None


async def _listing(client: Any, marketplace_id: str) -> list[_Meta]:
    out: list[_Meta] = []
    async for record in client.search_content_documents(marketplace_id):
        meta = _get(record, "contentMetadata", "content_metadata") or {}
        key = _get(record, "contentReferenceKey", "content_reference_key")
        if key is None:
            continue
        out.append(_Meta(
            key=str(key),
            name=str(_get(meta, "name") or ""),
            status=str(_get(meta, "status") or ""),
            update_time=_get(meta, "updateTime", "update_time"),
        ))
    return out


def _pick(query: StatusQuery, listing: list[_Meta]) -> tuple[_Meta | None, str]:
    if query.content_reference_key:
        for meta in listing:
            if meta.key == query.content_reference_key:
                note = "" if meta.name == query.name else (
                    f"live under the name {meta.name!r} until apply renames it")
                return meta, note
    for name in (query.name, *query.previous_names):
        named = [m for m in listing if m.name == name]
        if len(named) > 1:
            return None, (f"{len(named)} live documents are named {name!r}; "
                          "pin one with content_reference_key")
        if named:
            note = f"live under the name {name!r} until apply renames it" if name != query.name else ""
            return named[0], note
    return None, ""


def _reasons(raw: Any) -> tuple[str, ...]:
    out = []
    for item in raw or ():
        if isinstance(item, str):
            out.append(redact(item))
            continue
        message = _get(item, "message") or ""
        details = _get(item, "details") or ""
        out.append(redact(f"{message}{f' ({details})' if details else ''}"))
    return tuple(x for x in out if x)


async def _rejection_reasons(client: Any, key: str, marketplace_id: str) -> tuple[str, ...]:
    """Where the service tells why: warnings (or a reasons field) on getContentDocument."""
    record = await client.get_content_document(key, marketplace_id, ["METADATA"])
    found = _get(record, "rejectionReasons", "rejection_reasons", "reasons")
    if found is None:
        found = _get(record, "warnings")
        meta = _get(record, "contentRecord", "content_record")
        if not found and meta is not None:
            found = _get(meta, "warnings") or _get(_get(meta, "contentMetadata") or {}, "reasons")
    return _reasons(found)


async def _related(client: Any, key: str, marketplace_id: str) -> tuple[str, ...]:
    asins: list[str] = []
    async for item in client.list_content_document_asin_relations(key, marketplace_id):
        asin = item if isinstance(item, str) else _get(item, "asin")
        if asin:
            asins.append(str(asin))
    return tuple(sorted(set(asins)))


async def _publish_records(
    client: Any, marketplace_id: str, asin: str
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    async for record in client.search_content_publish_records(marketplace_id, asin):
        key = _get(record, "contentReferenceKey", "content_reference_key")
        if key:
            out.append((asin, str(key)))
    return out


async def read_status(client: Any, queries: Iterable[StatusQuery]) -> list[DocStatus]:
    """Status of every query, reading each marketplace's listing once."""
    queries = list(queries)
    markets = sorted({q.marketplace_id for q in queries})
    listings = dict(zip(markets, await asyncio.gather(*(_listing(client, m) for m in markets))))

    async def one(query: StatusQuery) -> DocStatus:
        meta, note = _pick(query, listings[query.marketplace_id])
        if meta is None:
            return DocStatus(query.address, query.name, query.marketplace_id, ABSENT,
                             note=note or "not created yet")
        reasons: tuple[str, ...] = ()
        if meta.status == "REJECTED":
            reasons = await _rejection_reasons(client, meta.key, query.marketplace_id)
        related = await _related(client, meta.key, query.marketplace_id)
        asins = sorted(set(query.asins) | set(related))
        pairs = await asyncio.gather(
            *(_publish_records(client, query.marketplace_id, a) for a in asins)
        )
        showing: set[str] = set()
        elsewhere: dict[str, str] = {}
        for found in pairs:
            for asin, key in found:
                if key == meta.key:
                    showing.add(asin)
                else:
                    elsewhere.setdefault(asin, key)
        for asin in showing:
            elsewhere.pop(asin, None)
        return DocStatus(
            address=query.address, name=query.name, marketplace_id=query.marketplace_id,
            status=meta.status, content_reference_key=meta.key, update_time=meta.update_time,
            rejection_reasons=reasons, related_asins=related,
            showing_asins=tuple(sorted(showing)), elsewhere=dict(sorted(elsewhere.items())),
            note=note,
        )

    return list(await asyncio.gather(*(one(q) for q in queries)))


@dataclass
class WaitOutcome:
    statuses: dict[tuple[str, str], str]   # (marketplace, key) → last status seen
    timed_out: bool
    polls: int


async def wait_for_moderation(
    client: Any,
    targets: Iterable[tuple[str, str]],
    timeout: float,
    interval: float,
    on_poll: Callable[[dict[tuple[str, str], str]], None] | None = None,
    stop: asyncio.Event | None = None,
) -> WaitOutcome:
    """Poll until none of the (marketplace, key) targets is SUBMITTED, or the timeout passes."""
    targets = set(targets)
    deadline = time.monotonic() + timeout
    last: dict[tuple[str, str], str] = {t: PENDING for t in targets}
    polls = 0
    while True:
        markets = sorted({m for m, _ in targets})
        listings = await asyncio.gather(*(_listing(client, m) for m in markets))
        polls += 1
        for market, listing in zip(markets, listings):
            by_key = {meta.key: meta.status for meta in listing}
            for target in targets:
                if target[0] == market:
                    last[target] = by_key.get(target[1], ABSENT)
        if on_poll is not None:
            on_poll(dict(last))
        if all(status != PENDING for status in last.values()):
            return WaitOutcome(last, False, polls)
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (stop is not None and stop.is_set()):
            return WaitOutcome(last, True, polls)
        sleep = min(interval, remaining)
        if stop is None:
            await asyncio.sleep(sleep)
        else:
            try:
                await asyncio.wait_for(stop.wait(), sleep)
            except asyncio.TimeoutError:
                pass
