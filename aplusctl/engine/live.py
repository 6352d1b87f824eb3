"""Live state: what refresh read from the SP-API, as plain frozen values the planner can diff.

Refresh fills these; the planner and the fingerprint only read them. Bodies stay plain dicts in
the API's JSON shape, because documents made in Seller Central break request-side limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aplusctl.redact import redact


@dataclass(frozen=True)
class LiveDocument:
    """One live content document. `document` and `asins` are None when refresh did not fetch
    them (documents no file declares are only listed, not read)."""

    content_reference_key: str
    marketplace_id: str
    name: str
    status: str                       # DRAFT | SUBMITTED | APPROVED | REJECTED
    update_time: str                  # as the API sent it (ISO 8601)
    badges: tuple[str, ...] = ()
    document: dict[str, Any] | None = None   # the ContentDocument (CONTENTS)
    asins: tuple[str, ...] | None = None     # listContentDocumentAsinRelations, sorted
    rejection_reasons: tuple[str, ...] = ()  # where the API or sandbox exposes them
    read_error: str | None = None            # why CONTENTS could not be read (e.g. Premium A+)

    @property
    def detailed(self) -> bool:
        return self.document is not None


@dataclass(frozen=True)
class LivePublishRecord:
    """searchContentPublishRecords: which document an ASIN's detail page shows."""

    marketplace_id: str
    asin: str
    locale: str
    content_reference_key: str
    content_type: str = "EBC"


@dataclass(frozen=True)
class LiveState:
    """Everything refresh read, for the marketplaces in scope."""

    marketplace_ids: tuple[str, ...]
    documents: tuple[LiveDocument, ...] = ()
    # (marketplaceId, asin) → the publish records found for that ASIN
    publish_records: dict[tuple[str, str], tuple[LivePublishRecord, ...]] = field(
        default_factory=dict
    )

    def records_for(self, marketplace_id: str, asin: str) -> tuple[LivePublishRecord, ...]:
        return self.publish_records.get((marketplace_id, asin), ())


def rejection_reasons(answer: Mapping[str, Any]) -> tuple[str, ...]:
    """Why a REJECTED document was rejected: the warnings getContentDocument answers with."""
    out: list[str] = []
    for item in answer.get("warnings") or ():
        if isinstance(item, Mapping):
            text = str(item.get("message") or item.get("code") or "")
            if text and item.get("details"):
                text += f" ({item['details']})"
        else:
            text = str(item)
        if text:
            out.append(redact(text))
    return tuple(out)
