"""The desired body of one document in one marketplace, as the planner compares it with live.

Local images become the uploadDestinationId aplus.lock recorded for their file in that
marketplace; the others keep "local:<path>" and are uploads apply does first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.lock import Lock
from aplusctl.engine.normalize import image_ids, normalize_document
from aplusctl.engine.plan_model import ImageUpload

LOCAL = "local:"


def desired_body(doc: DesiredDocument, mid: str, lock: Lock
                 ) -> tuple[dict[str, Any], tuple[ImageUpload, ...], frozenset[str]]:
    """(normalised body, uploads it still needs, their "local:<path>" ids)."""

    def resolve(path: str) -> str | None:
        image = doc.images.get(path)
        return lock.upload_for(image.sha256, mid) if image is not None else None

    body = normalize_document(doc.body(mid, resolve))
    local = [udi for udi in dict.fromkeys(image_ids(body)) if udi.startswith(LOCAL)]
    images = [doc.images[udi[len(LOCAL):]] for udi in local]
    uploads = tuple(ImageUpload(i.path, i.sha256, mid, i.size, i.mime) for i in images)
    return body, uploads, frozenset(local)


def image_namer(lock: Lock, mid: str) -> Callable[[str], str]:
    """Names images in diffs by the file aplus.lock recorded for their uploadDestinationId."""
    names: dict[str, str] = {}
    for per_market in lock.uploads.values():
        entry = per_market.get(mid)
        if entry and entry.get("path"):
            names[entry["upload_destination_id"]] = entry["path"]

    def name(udi: str) -> str:
        if udi.startswith(LOCAL):
            return udi[len(LOCAL):]
        return names.get(udi, udi)

    return name
