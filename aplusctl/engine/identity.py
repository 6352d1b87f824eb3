"""Which live document a file's document is, in one marketplace.

Identity is explicit: a pinned key, then the name, then a `previous_names` entry, then the key
aplus.lock recorded for this name (the document was renamed live). Never guessed: two candidates
are an error that asks the user to pin one.
"""

from __future__ import annotations

from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.address import country_of
from aplusctl.engine.live import LiveDocument, LiveState
from aplusctl.engine.lock import Lock


class LiveIndex:
    """Live documents by marketplace, name and key (the planner looks them up a lot)."""

    def __init__(self, live: LiveState) -> None:
        self.marketplaces = set(live.marketplace_ids)
        self._docs: dict[str, list[LiveDocument]] = {}
        self._by_name: dict[tuple[str, str], list[LiveDocument]] = {}
        self._by_key: dict[tuple[str, str], LiveDocument] = {}
        for d in live.documents:
            self._docs.setdefault(d.marketplace_id, []).append(d)
            self._by_name.setdefault((d.marketplace_id, d.name), []).append(d)
            self._by_key[(d.marketplace_id, d.content_reference_key)] = d

    def documents(self, mid: str) -> list[LiveDocument]:
        return self._docs.get(mid, [])

    def named(self, mid: str, name: str) -> list[LiveDocument]:
        return self._by_name.get((mid, name), [])

    def keyed(self, mid: str, key: str) -> LiveDocument | None:
        return self._by_key.get((mid, key))

    def name_of(self, mid: str, key: str) -> str | None:
        d = self._by_key.get((mid, key))
        return d.name if d else None


def pinned_key(doc: DesiredDocument, mid: str) -> str | None:
    """The content_reference_key the file pins (one file, one document per marketplace)."""
    return doc.content_reference_key or None


def identify(
    doc: DesiredDocument, mid: str, index: LiveIndex, lock: Lock
) -> tuple[LiveDocument | None, str | None, str | None]:
    """(live document, previous name if this is a rename, error) for one file in one marketplace.
    The live document is None whenever there is an error."""
    country = country_of(mid)
    key = pinned_key(doc, mid)
    if key:
        found = index.keyed(mid, key)
        if found is None:
            return None, None, (
                f"content_reference_key {key} is pinned in {doc.path} but no such document "
                f"is live in {country}"
            )
        return found, (found.name if found.name != doc.name else None), None
    for name in (doc.name, *doc.previous_names):
        named = index.named(mid, name)
        if len(named) > 1:
            keys = ", ".join(sorted(d.content_reference_key for d in named))
            what = "are named" if name == doc.name else "carry the previous name"
            return None, None, (
                f"{len(named)} live documents {what} '{name}' in {country} ({keys}); "
                f"pin one with content_reference_key in {doc.path}"
            )
        if named:
            return named[0], (None if name == doc.name else name), None
    entry = lock.document(mid, doc.name)
    if entry and entry.get("content_reference_key"):
        found = index.keyed(mid, entry["content_reference_key"])
        if found is not None:
            return found, found.name, None
    return None, None, None
