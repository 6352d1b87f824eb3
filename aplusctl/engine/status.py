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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from aplusctl.engine.client import SpApi
from aplusctl.engine.live import rejection_reasons
from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.lock import Lock
from aplusctl.engine.address import address_of, selected
from aplusctl.engine.identity import pinned_key

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
        return address_of(self.marketplace_id, self.name)


def status_queries(documents: Iterable[DesiredDocument], lock: Lock, names: Sequence[str] = ()
                   ) -> list[StatusQuery]:
    """One query per (document, marketplace) matching `names` (all when empty), with the key the
    file pins or aplus.lock records (under the name, or a previous name)."""
    queries: list[StatusQuery] = []
    for doc in documents:
        for mid in doc.marketplaces:
            if names and not selected(doc.name, address_of(mid, doc.name), doc.path, names, ()):
                continue
            key = pinned_key(doc, mid)
            for name in (doc.name, *doc.previous_names):
                key = key or (lock.document(mid, name) or {}).get("content_reference_key")
            queries.append(StatusQuery(doc.name, mid, tuple(doc.asins), key,
                                       tuple(doc.previous_names)))
    return queries


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

    @property
    def waiting_asins(self) -> tuple[str, ...]:
        """Related ASINs that show no A+ content yet (publish records lag the relations)."""
        return tuple(a for a in self.related_asins
                     if a not in self.showing_asins and a not in self.elsewhere)


@dataclass(frozen=True)
class _Meta:
    key: str
    name: str
    status: str
    update_time: str | None


async def _listing(client: SpApi, marketplace_id: str) -> list[_Meta]:
    out: list[_Meta] = []
    async for record in client.search_content_documents(marketplace_id):
        meta = record.get("contentMetadata") or {}
        key = record.get("contentReferenceKey")
        if key is None:
            continue
        out.append(_Meta(key=str(key), name=str(meta.get("name") or ""),
                         status=str(meta.get("status") or ""), update_time=meta.get("updateTime")))
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


async def _rejection_reasons(client: SpApi, key: str, marketplace_id: str
                             ) -> tuple[str, ...]:
    return rejection_reasons(await client.get_content_document(key, marketplace_id, ["METADATA"]))


async def _related(client: SpApi, key: str, marketplace_id: str) -> tuple[str, ...]:
    asins = [item["asin"] async for item in
             client.list_content_document_asin_relations(key, marketplace_id)]
    return tuple(sorted(set(asins)))


async def _publish_records(client: SpApi, marketplace_id: str, asin: str
                           ) -> list[tuple[str, str]]:
    return [(asin, str(record["contentReferenceKey"])) async for record in
            client.search_content_publish_records(marketplace_id, asin)
            if record.get("contentReferenceKey")]


async def read_status(client: SpApi, queries: Iterable[StatusQuery]) -> list[DocStatus]:
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
    client: SpApi,
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
