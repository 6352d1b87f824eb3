"""Refresh: read the live state the planner needs, as fast as the usage plans allow.

Per marketplace: searchContentDocuments (all pages). For each live document a file declares (by
name, pinned key, a previous name, or the key aplus.lock recorded): getContentDocument (CONTENTS,
METADATA) and listContentDocumentAsinRelations (all pages). searchContentPublishRecords for each
declared ASIN. With pruning on, documents aplus.lock once managed are read too.

Everything runs at once. The client's limiter paces each operation within its usage plan; here each
operation also gets its own small pool of in-flight calls, so calls queued for one busy operation
never hold every connection slot while another operation's bucket sits full (the slowest
operation, not the sum of all, sets the wall time). Detail reads start as soon as the search page
naming the document arrives. Progress goes to a callback, never to a stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from aplusctl.engine.live import LiveDocument, LivePublishRecord, LiveState, rejection_reasons
from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.client import SpApi
from aplusctl.engine.lock import Lock
from aplusctl.spapi.errors import InvalidInput

Progress = Callable[[int, int, str], None]   # (calls done, calls known so far, what just finished)

# in-flight calls per operation: enough to keep a 10/s bucket busy through 100s of ms latency,
# few enough that four operations together stay under the client's connection slots
PER_OPERATION = 6


class _Wants:
    """Which live documents and ASINs of one marketplace the files make us read in detail."""

    def __init__(self, desired: Sequence[DesiredDocument], mid: str, lock: Lock, prune: bool) -> None:
        self.names: set[str] = set()
        self.keys: set[str] = set()
        self.asins: set[str] = set()
        for doc in desired:
            if mid not in doc.marketplaces:
                continue
            self.names.add(doc.name)
            self.names.update(doc.previous_names)
            self.asins.update(doc.asins)
            if doc.content_reference_key:
                self.keys.add(doc.content_reference_key)
            entry = lock.document(mid, doc.name)
            if entry and entry.get("content_reference_key"):
                self.keys.add(entry["content_reference_key"])
        self.prune_keys: set[str] = set(lock.managed_keys(mid)) if prune else set()

    def detailed(self, name: str, key: str) -> bool:
        return name in self.names or key in self.keys or key in self.prune_keys


async def refresh(
    client: SpApi,
    desired: Sequence[DesiredDocument],
    marketplace_ids: Sequence[str],
    lock: Lock,
    *,
    prune: bool = False,
    progress: Progress | None = None,
) -> LiveState:
    """Read the live state of `marketplace_ids` that planning `desired` needs."""
    pools: dict[str, asyncio.Semaphore] = {}
    counts = {"done": 0, "total": 0}
    documents: list[LiveDocument] = []
    records: dict[tuple[str, str], tuple[LivePublishRecord, ...]] = {}

    def pool(op: str) -> asyncio.Semaphore:
        return pools.setdefault(op, asyncio.Semaphore(PER_OPERATION))

    def planned(n: int = 1) -> None:
        counts["total"] += n

    def finished(what: str) -> None:
        counts["done"] += 1
        if progress is not None:
            progress(counts["done"], counts["total"], what)

    async def publish_records(mid: str, asin: str) -> None:
        async with pool("searchContentPublishRecords"):
            found = [
                LivePublishRecord(
                    marketplace_id=r.get("marketplaceId", mid),
                    asin=r.get("asin", asin),
                    locale=r.get("locale", ""),
                    content_reference_key=r.get("contentReferenceKey", ""),
                    content_type=r.get("contentType", "EBC"),
                )
                async for r in client.search_content_publish_records(mid, asin)
            ]
        records[(mid, asin)] = tuple(found)
        finished(f"publish records {asin}")

    async def detail(mid: str, key: str, listed: LiveDocument, wants: _Wants) -> None:
        async def get() -> dict[str, Any]:
            async with pool("getContentDocument"):
                try:
                    return await client.get_content_document(key, mid, ("CONTENTS", "METADATA"))
                except InvalidInput as exc:
                    # Premium A+ documents cannot be expressed in the 2020-11-01 model
                    return {"contentRecord": {}, "read_error": str(exc)}

        async def asins() -> list[str]:
            async with pool("listContentDocumentAsinRelations"):
                return [a["asin"] async for a in client.list_content_document_asin_relations(key, mid)]

        got, related = await asyncio.gather(get(), asins())
        finished(f"document {listed.name}")
        finished(f"ASINs of {listed.name}")
        record = got.get("contentRecord") or {}
        meta = record.get("contentMetadata") or {}
        rejected = (meta.get("status") or listed.status) == "REJECTED"
        reasons = rejection_reasons(got) if rejected else ()
        documents.append(LiveDocument(
            content_reference_key=key,
            marketplace_id=mid,
            name=meta.get("name", listed.name),
            status=meta.get("status", listed.status),
            update_time=str(meta.get("updateTime", listed.update_time)),
            badges=tuple(meta.get("badgeSet", listed.badges)),
            document=record.get("contentDocument"),
            asins=tuple(sorted(set(related))),
            rejection_reasons=reasons,
            read_error=got.get("read_error"),
        ))
        # a pruned document's ASINs: are they still showing it?
        if key in wants.prune_keys and listed.name not in wants.names:
            new = [a for a in related if (mid, a) not in records and a not in wants.asins]
            planned(len(new))
            await asyncio.gather(*(publish_records(mid, a) for a in new))

    async def marketplace(mid: str, group: asyncio.TaskGroup) -> None:
        wants = _Wants(desired, mid, lock, prune)
        planned(len(wants.asins) + 1)
        for asin in sorted(wants.asins):
            group.create_task(publish_records(mid, asin))
        async with pool("searchContentDocuments"):
            async for item in client.search_content_documents(mid):
                meta = item.get("contentMetadata") or {}
                key = item["contentReferenceKey"]
                listed = LiveDocument(
                    content_reference_key=key,
                    marketplace_id=meta.get("marketplaceId", mid),
                    name=meta.get("name", ""),
                    status=meta.get("status", ""),
                    update_time=str(meta.get("updateTime", "")),
                    badges=tuple(meta.get("badgeSet", ())),
                )
                if wants.detailed(listed.name, key):
                    planned(2)
                    group.create_task(detail(mid, key, listed, wants))
                else:
                    documents.append(listed)
        finished(f"search {mid}")

    try:
        async with asyncio.TaskGroup() as group:
            for mid in marketplace_ids:
                group.create_task(marketplace(mid, group))
    except BaseExceptionGroup as grouped:
        raise _first(grouped) from None
    documents.sort(key=lambda d: (d.marketplace_id, d.name, d.content_reference_key))
    return LiveState(tuple(marketplace_ids), tuple(documents), records)


def _first(group: BaseExceptionGroup) -> BaseException:
    """The first real error of a failed TaskGroup, so callers catch UserError etc. as usual."""
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc
