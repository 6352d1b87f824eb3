"""Create safety: a create never makes a second document of one name.

- Before the first create in a marketplace, apply reads its listing afresh
  (searchContentDocuments); a document already there under the name is adopted (then updated)
  instead of created. A name held by two live documents stops the document: pin one.
- A create whose answer was lost (CreateOutcomeUnknown) is looked up by name for a moment
  (UNKNOWN_RECHECK_SECONDS). Found: it is this run's document. Not found: the document stops
  there, and is never created again in this run — Amazon's listing can lag a create, so "not
  listed yet" does not mean "not created". The next run's fresh read adopts it if it landed,
  or creates it if it did not.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aplusctl.engine.client import SpApi
from aplusctl.engine.apply.commit import LockCommitter
from aplusctl.engine.apply.events import ApplyEvent, DocOutcome, DocumentFailed, EventSink
from aplusctl.engine.lock import Lock
from aplusctl.engine.normalize import body_hash
from aplusctl.engine.plan import ResourceChange
from aplusctl.spapi.errors import CreateOutcomeUnknown

# After a create without an answer, re-read the listing after these pauses (~1.5 s in all).
UNKNOWN_RECHECK_SECONDS: tuple[float, ...] = (0.0, 0.5, 1.0)

MAYBE_CREATED = (
    "no answer to create, and the document is not listed yet. The create may have reached "
    "Amazon; run apply again in a few minutes — it will find the document by name instead of "
    "creating another"
)


def _ambiguous(count: int, name: str) -> DocumentFailed:
    return DocumentFailed(
        "create", f"{count} live documents are named {name!r}; pin one with content_reference_key")


class Creator:
    """Creates (or adopts) documents for one apply run; shared by its document tasks."""

    def __init__(self, client: SpApi, lock: Lock, committer: LockCommitter,
                 emit: EventSink) -> None:
        self.client = client
        self.lock = lock
        self.committer = committer
        self.emit = emit
        # marketplace → name → keys, from a fresh read made before the first create there
        self._names: dict[str, dict[str, list[str]]] = {}
        self._guards: dict[str, asyncio.Lock] = {}

    async def _read_names(self, marketplace_id: str) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        async for record in self.client.search_content_documents(marketplace_id):
            name = (record.get("contentMetadata") or {}).get("name")
            key = record.get("contentReferenceKey")
            if name is not None and key is not None:
                names.setdefault(str(name), []).append(str(key))
        return names

    async def _names_in(self, marketplace_id: str, refresh: bool = False) -> dict[str, list[str]]:
        guard = self._guards.setdefault(marketplace_id, asyncio.Lock())
        async with guard:
            if refresh or marketplace_id not in self._names:
                self._names[marketplace_id] = await self._read_names(marketplace_id)
            return self._names[marketplace_id]

    async def create_or_adopt(
        self, change: ResourceChange, outcome: DocOutcome, body: dict[str, Any]
    ) -> tuple[str, bool]:
        """(content reference key, adopted). An adopted document still needs its update."""
        mp = change.marketplace_id
        existing = (await self._names_in(mp)).get(change.name, [])
        if len(existing) > 1:
            raise _ambiguous(len(existing), change.name)
        if existing:
            key = existing[0]
            self.emit(ApplyEvent(outcome.address, "adopt", "done",
                                 f"a document of this name already exists ({key})"))
            outcome.steps_done.append("adopt")
            self.lock.record_document(mp, change.name, content_reference_key=key)
            await self.committer.commit()
            return key, True

        self.emit(ApplyEvent(outcome.address, "create", "start"))
        outcome.failed_step = "create"
        try:
            key = await self.client.create_content_document(mp, body)
        except CreateOutcomeUnknown:
            key = await self._find_after_unknown(change, outcome)
        outcome.failed_step = None
        known = self._names.setdefault(mp, {}).setdefault(change.name, [])
        if key not in known:
            known.append(key)
        self.lock.record_document(mp, change.name, content_reference_key=key,
                                  applied_hash=body_hash(body))
        await self.committer.commit()
        outcome.steps_done.append("create")
        self.emit(ApplyEvent(outcome.address, "create", "done", key))
        return key, False

    async def _find_after_unknown(self, change: ResourceChange, outcome: DocOutcome) -> str:
        """The key of the document a lost create made, or stop this document (never retry)."""
        self.emit(ApplyEvent(outcome.address, "create", "warning",
                             "no answer to create; looking the document up by name"))
        found: list[str] = []
        for delay in UNKNOWN_RECHECK_SECONDS:  # let a lagging listing catch up
            await asyncio.sleep(delay)
            found = (await self._names_in(change.marketplace_id, refresh=True)).get(change.name, [])
            if found:
                break
        if len(found) > 1:
            raise _ambiguous(len(found), change.name)
        if not found:
            raise DocumentFailed("create", MAYBE_CREATED)
        return found[0]
