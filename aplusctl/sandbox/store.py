"""The sandbox's SQLite state: documents, versions, relations, uploads, publish records, tokens,
catalog and moderation overrides. Persistence only; the rules live in the handlers.

One connection shared by the event loop and admin calls, guarded by a lock (uvicorn runs handlers
on one loop, but embedded callers and tests may touch the store from other threads).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    seller_id TEXT NOT NULL,
    marketplace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_sub_type TEXT,
    locale TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    badges TEXT NOT NULL,
    update_time TEXT NOT NULL,
    version INTEGER NOT NULL,
    due_at REAL,
    reasons TEXT NOT NULL DEFAULT '[]',
    suspended INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS documents_by_marketplace ON documents (seller_id, marketplace_id, seq);
CREATE INDEX IF NOT EXISTS documents_due ON documents (status, due_at);
CREATE TABLE IF NOT EXISTS versions (
    key TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, time TEXT NOT NULL,
    PRIMARY KEY (key, version)
);
CREATE TABLE IF NOT EXISTS relations (
    key TEXT NOT NULL, asin TEXT NOT NULL, pos INTEGER NOT NULL, PRIMARY KEY (key, asin)
);
CREATE INDEX IF NOT EXISTS relations_by_asin ON relations (asin);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    seller_id TEXT NOT NULL,
    marketplace_id TEXT NOT NULL,
    md5 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    uploaded_at REAL,
    size INTEGER,
    width INTEGER,
    height INTEGER,
    format TEXT
);
CREATE TABLE IF NOT EXISTS publish_records (
    marketplace_id TEXT NOT NULL,
    asin TEXT NOT NULL,
    locale TEXT NOT NULL,
    key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_sub_type TEXT,
    PRIMARY KEY (marketplace_id, asin, locale)
);
CREATE INDEX IF NOT EXISTS publish_records_by_key ON publish_records (key);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, seller_id TEXT, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS catalog (asin TEXT PRIMARY KEY, state TEXT NOT NULL, title TEXT);
CREATE TABLE IF NOT EXISTS moderation (key TEXT PRIMARY KEY, outcome TEXT NOT NULL, reasons TEXT NOT NULL);
"""

CATALOG_STATES = ("in_brand", "not_found", "other_brand")


def iso_ms(ts: float) -> str:
    """SP-API's updateTime form: 2020-11-18T03:05:50.052Z."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass
class Document:
    key: str
    seq: int
    seller_id: str
    marketplace_id: str
    name: str
    content_type: str
    content_sub_type: str | None
    locale: str
    body: str          # the ContentDocument as stored JSON text, spliced into responses as is
    status: str
    badges: list[str]
    update_time: str
    version: int
    due_at: float | None
    reasons: list[dict[str, str]]
    suspended: bool

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Document":
        return cls(
            key=row["key"], seq=row["seq"], seller_id=row["seller_id"],
            marketplace_id=row["marketplace_id"], name=row["name"],
            content_type=row["content_type"], content_sub_type=row["content_sub_type"],
            locale=row["locale"], body=row["body"], status=row["status"],
            badges=json.loads(row["badges"]), update_time=row["update_time"],
            version=row["version"], due_at=row["due_at"], reasons=json.loads(row["reasons"]),
            suspended=bool(row["suspended"]),
        )

    def metadata(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "marketplaceId": self.marketplace_id,
            "status": self.status,
            "badgeSet": self.badges,
            "updateTime": self.update_time,
        }


@dataclass
class Upload:
    id: str
    seller_id: str
    marketplace_id: str
    md5: str
    content_type: str
    created: float
    expires: float
    uploaded_at: float | None
    size: int | None
    width: int | None = None
    height: int | None = None
    format: str | None = None


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._last_update = 0.0
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._migrate()
        self.secret = self._meta_secret()

    def _migrate(self) -> None:
        """Columns added after a database may already exist (the sandbox keeps state for good)."""
        have = {r["name"] for r in self._db.execute("PRAGMA table_info(uploads)")}
        for column, kind in (("width", "INTEGER"), ("height", "INTEGER"), ("format", "TEXT")):
            if column not in have:
                self._db.execute(f"ALTER TABLE uploads ADD COLUMN {column} {kind}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; everything inside commits or nothing does."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _meta_secret(self) -> bytes:
        """A per-database secret for page tokens and upload signatures, stable across restarts."""
        with self.tx() as db:
            row = db.execute("SELECT v FROM meta WHERE k='secret'").fetchone()
            if row:
                return bytes.fromhex(row["v"])
            value = secrets.token_bytes(32)
            db.execute("INSERT INTO meta (k, v) VALUES ('secret', ?)", (value.hex(),))
            return value

    def next_update_time(self) -> str:
        """A strictly increasing updateTime, so every change is visible even within 1 ms."""
        with self._lock:
            now = max(time.time(), self._last_update + 0.001)
            self._last_update = now
            return iso_ms(now)

    # --- tokens ---------------------------------------------------------------------------

    def add_token(self, token: str, seller_id: str | None, expires: float) -> None:
        with self.tx() as db:
            db.execute("INSERT INTO tokens (token, seller_id, expires) VALUES (?, ?, ?)",
                       (token, seller_id, expires))
            db.execute("DELETE FROM tokens WHERE expires < ?", (time.time() - 86400,))

    def load_tokens(self) -> dict[str, tuple[str | None, float]]:
        return {r["token"]: (r["seller_id"], r["expires"]) for r in self._all("SELECT * FROM tokens")}

    def expire_tokens(self) -> None:
        with self.tx() as db:
            db.execute("UPDATE tokens SET expires = 0")

    # --- documents ------------------------------------------------------------------------

    def get_document(self, key: str) -> Document | None:
        row = self._one("SELECT * FROM documents WHERE key = ?", (key,))
        return Document.from_row(row) if row else None

    def insert_document(self, doc: Document) -> None:
        with self.tx() as db:
            doc.seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM documents").fetchone()[0]
            db.execute(
                "INSERT INTO documents (key, seq, seller_id, marketplace_id, name, content_type,"
                " content_sub_type, locale, body, status, badges, update_time, version, due_at,"
                " reasons, suspended) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (doc.key, doc.seq, doc.seller_id, doc.marketplace_id, doc.name, doc.content_type,
                 doc.content_sub_type, doc.locale, doc.body, doc.status, json.dumps(doc.badges),
                 doc.update_time, doc.version, doc.due_at, json.dumps(doc.reasons), int(doc.suspended)),
            )
            db.execute("INSERT INTO versions (key, version, body, time) VALUES (?,?,?,?)",
                       (doc.key, doc.version, doc.body, doc.update_time))

    def save_document(self, doc: Document, *, new_version: bool = False) -> None:
        with self.tx() as db:
            db.execute(
                "UPDATE documents SET name=?, content_type=?, content_sub_type=?, locale=?, body=?,"
                " status=?, badges=?, update_time=?, version=?, due_at=?, reasons=?, suspended=?"
                " WHERE key=?",
                (doc.name, doc.content_type, doc.content_sub_type, doc.locale, doc.body, doc.status,
                 json.dumps(doc.badges), doc.update_time, doc.version, doc.due_at,
                 json.dumps(doc.reasons), int(doc.suspended), doc.key),
            )
            if new_version:
                db.execute("INSERT INTO versions (key, version, body, time) VALUES (?,?,?,?)",
                           (doc.key, doc.version, doc.body, doc.update_time))

    def page_documents(self, seller_id: str, marketplace_id: str, offset: int, limit: int) -> list[Document]:
        rows = self._all(
            "SELECT * FROM documents WHERE seller_id=? AND marketplace_id=? ORDER BY seq"
            " LIMIT ? OFFSET ?", (seller_id, marketplace_id, limit, offset))
        return [Document.from_row(r) for r in rows]

    def due_documents(self, now: float) -> list[Document]:
        rows = self._all("SELECT * FROM documents WHERE status='SUBMITTED' AND due_at <= ?", (now,))
        return [Document.from_row(r) for r in rows]

    def next_due(self) -> float | None:
        row = self._one("SELECT MIN(due_at) FROM documents WHERE status='SUBMITTED'")
        return row[0] if row else None

    # --- relations ------------------------------------------------------------------------

    def relations(self, key: str) -> list[str]:
        return [r["asin"] for r in self._all("SELECT asin FROM relations WHERE key=? ORDER BY pos", (key,))]

    def set_relations(self, key: str, asins: list[str]) -> None:
        with self.tx() as db:
            db.execute("DELETE FROM relations WHERE key=?", (key,))
            db.executemany("INSERT INTO relations (key, asin, pos) VALUES (?,?,?)",
                           [(key, a, i) for i, a in enumerate(asins)])

    def keys_related_to(self, asin: str, marketplace_id: str) -> list[str]:
        rows = self._all(
            "SELECT r.key FROM relations r JOIN documents d ON d.key = r.key"
            " WHERE r.asin=? AND d.marketplace_id=? ORDER BY d.seq", (asin, marketplace_id))
        return [r["key"] for r in rows]

    # --- publish records ------------------------------------------------------------------

    def publish(self, doc: Document, asins: list[str], locale: str) -> None:
        """Publish `doc` on `asins`, replacing whatever document held each ASIN in that locale."""
        with self.tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO publish_records (marketplace_id, asin, locale, key,"
                " content_type, content_sub_type) VALUES (?,?,?,?,?,?)",
                [(doc.marketplace_id, a, locale, doc.key, doc.content_type, doc.content_sub_type)
                 for a in asins])

    def unpublish(self, key: str, asins: list[str] | None = None) -> None:
        with self.tx() as db:
            if asins is None:
                db.execute("DELETE FROM publish_records WHERE key=?", (key,))
            else:
                db.executemany("DELETE FROM publish_records WHERE key=? AND asin=?",
                               [(key, a) for a in asins])

    def published_asins(self, key: str) -> set[str]:
        return {r["asin"] for r in self._all("SELECT asin FROM publish_records WHERE key=?", (key,))}

    def publish_records(self, marketplace_id: str, asin: str, offset: int, limit: int) -> list[sqlite3.Row]:
        return self._all(
            "SELECT * FROM publish_records WHERE marketplace_id=? AND asin=? ORDER BY locale, key"
            " LIMIT ? OFFSET ?", (marketplace_id, asin, limit, offset))

    # --- uploads --------------------------------------------------------------------------

    def add_upload(self, up: Upload) -> None:
        with self.tx() as db:
            db.execute(
                "INSERT INTO uploads (id, seller_id, marketplace_id, md5, content_type, created,"
                " expires, uploaded_at, size) VALUES (?,?,?,?,?,?,?,?,?)",
                (up.id, up.seller_id, up.marketplace_id, up.md5, up.content_type, up.created,
                 up.expires, up.uploaded_at, up.size))

    def get_upload(self, upload_id: str) -> Upload | None:
        row = self._one("SELECT * FROM uploads WHERE id=?", (upload_id,))
        return Upload(**dict(row)) if row else None

    def mark_uploaded(self, upload_id: str, size: int, width: int | None, height: int | None,
                      fmt: str | None) -> None:
        with self.tx() as db:
            db.execute("UPDATE uploads SET uploaded_at=?, size=?, width=?, height=?, format=? WHERE id=?",
                       (time.time(), size, width, height, fmt, upload_id))

    def uploaded(self, ids: set[str]) -> dict[str, Upload]:
        """The uploads among `ids` whose S3 POST succeeded."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._all(f"SELECT * FROM uploads WHERE uploaded_at IS NOT NULL AND id IN ({marks})",
                         tuple(ids))
        return {r["id"]: Upload(**dict(r)) for r in rows}

    def uploaded_ids(self, ids: set[str]) -> set[str]:
        return set(self.uploaded(ids))

    # --- catalog --------------------------------------------------------------------------

    def catalog_state(self, asins: list[str]) -> dict[str, tuple[str, str | None]]:
        if not asins:
            return {}
        marks = ",".join("?" * len(asins))
        rows = self._all(f"SELECT * FROM catalog WHERE asin IN ({marks})", tuple(asins))
        return {r["asin"]: (r["state"], r["title"]) for r in rows}

    def set_catalog(self, asins: list[str], state: str, title: str | None) -> None:
        with self.tx() as db:
            db.executemany("INSERT OR REPLACE INTO catalog (asin, state, title) VALUES (?,?,?)",
                           [(a, state, title) for a in asins])

    def catalog(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._all("SELECT * FROM catalog ORDER BY asin")]

    # --- moderation overrides -------------------------------------------------------------

    def set_moderation(self, key: str, outcome: str | None, reasons: list[str]) -> None:
        """`key` is a contentReferenceKey or '*' for every document without its own override."""
        with self.tx() as db:
            if outcome is None:
                db.execute("DELETE FROM moderation WHERE key=?", (key,))
            else:
                db.execute("INSERT OR REPLACE INTO moderation (key, outcome, reasons) VALUES (?,?,?)",
                           (key, outcome, json.dumps(reasons)))

    def moderation_override(self, key: str) -> tuple[str, list[str]] | None:
        row = self._one("SELECT * FROM moderation WHERE key=?", (key,)) or self._one(
            "SELECT * FROM moderation WHERE key='*'")
        return (row["outcome"], json.loads(row["reasons"])) if row else None

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for table in ("documents", "versions", "relations", "uploads", "publish_records", "tokens", "catalog"):
            row = self._one(f"SELECT COUNT(*) FROM {table}")
            out[table] = int(row[0]) if row else 0
        return out
