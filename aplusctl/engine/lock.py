"""aplus.lock: what cannot be read back from the API, kept beside the content and committed.

Written only by apply and generate, read by plan. Deterministic and merge-friendly: sorted keys,
two-space indent, one entry per line group, trailing newline. Saved atomically (temp file in the
same directory, fsync, rename, fsync of the directory) so a killed apply never leaves half a file.

Shape (``version`` 1)::

    {
      "documents": {"<marketplaceId>/<name>": {"applied_hash": "...", "asins_hash": "...",
                                              "content_reference_key": "...", "managed": true}},
      "generations": {"<stanza_hash>": {... free-form, owned by generate ...}},
      "uploads": {"<sha256>": {"<marketplaceId>": {"path": "assets/hero.png",
                                                   "upload_destination_id": "sc/..."}}},
      "version": 1
    }

The Lock is a plain mutable value: apply records each step on it and calls `save_lock` at once.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aplusctl.errors import UserError

LOCK_FILE = "aplus.lock"
LOCK_VERSION = 1


def document_key(marketplace_id: str, name: str) -> str:
    """The lock's key for one (marketplace, document name) pair."""
    return f"{marketplace_id}/{name}"


@dataclass
class Lock:
    uploads: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    generations: dict[str, dict[str, Any]] = field(default_factory=dict)

    # --- uploads -------------------------------------------------------------------------------

    def upload_for(self, sha256: str, marketplace_id: str) -> str | None:
        """The uploadDestinationId holding this file's bytes in this marketplace, if any."""
        entry = self.uploads.get(sha256, {}).get(marketplace_id)
        return entry.get("upload_destination_id") if entry else None

    def record_upload(
        self, sha256: str, marketplace_id: str, upload_destination_id: str, path: str
    ) -> None:
        self.uploads.setdefault(sha256, {})[marketplace_id] = {
            "path": path,
            "upload_destination_id": upload_destination_id,
        }

    # --- documents -----------------------------------------------------------------------------

    def document(self, marketplace_id: str, name: str) -> dict[str, Any] | None:
        return self.documents.get(document_key(marketplace_id, name))

    def record_document(
        self,
        marketplace_id: str,
        name: str,
        *,
        content_reference_key: str,
        applied_hash: str | None = None,
        asins_hash: str | None = None,
    ) -> None:
        """Remember a document apply manages; None keeps the value already recorded."""
        entry = self.documents.setdefault(document_key(marketplace_id, name), {"managed": True})
        entry["content_reference_key"] = content_reference_key
        entry["managed"] = True
        if applied_hash is not None:
            entry["applied_hash"] = applied_hash
        if asins_hash is not None:
            entry["asins_hash"] = asins_hash

    def rename_document(self, marketplace_id: str, old_name: str, new_name: str) -> None:
        entry = self.documents.pop(document_key(marketplace_id, old_name), None)
        if entry is not None:
            self.documents[document_key(marketplace_id, new_name)] = entry

    def forget_document(self, marketplace_id: str, name: str) -> None:
        self.documents.pop(document_key(marketplace_id, name), None)

    def managed_keys(self, marketplace_id: str) -> dict[str, str]:
        """content_reference_key → document name, for documents apply once managed here."""
        prefix = f"{marketplace_id}/"
        return {
            entry["content_reference_key"]: key[len(prefix):]
            for key, entry in self.documents.items()
            if key.startswith(prefix) and entry.get("managed") and entry.get("content_reference_key")
        }

    # --- serialisation -------------------------------------------------------------------------

    def to_json(self) -> str:
        data = {
            "documents": self.documents,
            "generations": self.generations,
            "uploads": self.uploads,
            "version": LOCK_VERSION,
        }
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def parse_lock(text: str, where: str = LOCK_FILE) -> Lock:
    """Parse lock JSON; anything malformed is a UserError naming the file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "fix it or restore it from git"
        ) from None
    if not isinstance(data, dict):
        raise UserError(f"{where} must hold a JSON object; fix it or restore it from git")
    version = data.get("version", LOCK_VERSION)
    if version != LOCK_VERSION:
        raise UserError(
            f"{where} has version {version!r}; this aplusctl reads version {LOCK_VERSION}"
        )
    sections: dict[str, dict[str, Any]] = {}
    for section in ("uploads", "documents", "generations"):
        value = data.get(section, {})
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise UserError(
                f"{where}: '{section}' must map keys to objects; fix it or restore it from git"
            )
        sections[section] = value
    for sha, per_market in sections["uploads"].items():
        for mid, entry in per_market.items():
            if not isinstance(entry, dict) or not isinstance(
                entry.get("upload_destination_id"), str
            ):
                raise UserError(
                    f"{where}: uploads.{sha}.{mid} needs an 'upload_destination_id' string"
                )
    for key, entry in sections["documents"].items():
        if "/" not in key or not isinstance(entry.get("content_reference_key", ""), str):
            raise UserError(
                f"{where}: documents.{key} must be '<marketplaceId>/<name>' with a "
                "'content_reference_key' string"
            )
    return Lock(
        uploads=sections["uploads"],
        documents=sections["documents"],
        generations=sections["generations"],
    )


def load_lock(root: Path) -> Lock:
    """Read `<root>/aplus.lock`; a missing file is an empty lock, never an error."""
    path = root / LOCK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {LOCK_FILE}: {exc}") from None
    return parse_lock(text, LOCK_FILE)


def save_lock(root: Path, lock: Lock) -> None:
    """Replace `<root>/aplus.lock` atomically: readers see the old file or the new, never half."""
    write_atomic(root / LOCK_FILE, lock.to_json().encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` (temp file beside it, fsync, rename, fsync of the directory):
    readers, and a run killed at any moment, see the old file or the new, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
