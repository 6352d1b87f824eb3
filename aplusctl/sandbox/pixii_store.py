"""SQLite persistence of the Pixii emulator: jobs, the credits ledger, rate-limit windows, knobs.

Kept in its own `pixii_*` tables of the sandbox database so a restart on the same file resumes
every job and balance. One connection guarded by a lock: the emulator's queries are tiny, and a
single writer avoids SQLite's busy errors between the sandbox's threads.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aplusctl.sandbox.pixii_model import CREDIT_COST

DEFAULT_BALANCE = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pixii_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pixii_jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    asin TEXT NOT NULL,
    country_code TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at REAL NOT NULL,
    duration REAL NOT NULL,
    credit_cost INTEGER NOT NULL,
    variants TEXT NOT NULL,
    settled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pixii_jobs_asin ON pixii_jobs (asin, seq);
CREATE INDEX IF NOT EXISTS pixii_jobs_unsettled ON pixii_jobs (settled, created_at);
CREATE TABLE IF NOT EXISTS pixii_submissions (ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS pixii_submissions_ts ON pixii_submissions (ts);
CREATE TABLE IF NOT EXISTS pixii_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    code TEXT
);
"""

# Knobs the admin API can turn; a missing key means the default below.
DEFAULT_STATE: dict[str, Any] = {
    "balance": DEFAULT_BALANCE,
    "brand_active": True,
    "clock_offset": 0.0,
    "job_seconds": None,       # None: the sandbox settings' pixii_job_seconds
    "per_minute": 10,
    "per_day": 500,
    "window_seconds": 60.0,    # length of the "minute" window; tests shorten it
    "fail_next": [],           # [{type, code, message}] consumed by the next job with that type
    "fail_always": {},         # {type: {code, message}}
    "faults": None,            # {kind, remaining, retry_after}: the next N API calls fail
    "envelope": "standard",    # "standard" | "enveloped" | "bare": see the pixii module
}


@dataclass(frozen=True)
class JobRow:
    id: str
    asin: str
    country_code: str
    request: dict[str, Any]
    created_at: float
    duration: float
    credit_cost: int
    variants: list[dict[str, Any]]   # [{type, error: None | {code, message}}] in request order


class PixiiStore:
    """Owns the emulator's SQLite connection."""

    def __init__(self, db: Path, log_size: int = 5000) -> None:
        self._log_size = log_size
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(db), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)
        with self.transaction():
            if self._get("secret") is None:
                self._set("secret", secrets.token_hex(32))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Serialise a read-modify-write across threads and commit it as one unit."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # --- state -------------------------------------------------------------------------------

    def _get(self, key: str) -> Any:
        row = self._conn.execute("SELECT value FROM pixii_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _set(self, key: str, value: Any) -> None:
        self._conn.execute(
            "INSERT INTO pixii_state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def get(self, key: str) -> Any:
        with self._lock:
            value = self._get(key)
        return DEFAULT_STATE.get(key) if value is None else value

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._set(key, value)

    def state(self) -> dict[str, Any]:
        with self._lock:
            rows = self._conn.execute("SELECT key, value FROM pixii_state").fetchall()
        stored = {key: json.loads(value) for key, value in rows}
        stored.pop("secret", None)
        return {**DEFAULT_STATE, **{k: v for k, v in stored.items() if v is not None}}

    def secret(self) -> bytes:
        return bytes.fromhex(self.get("secret"))

    # --- rate-limit windows ------------------------------------------------------------------

    def count_submissions(self, since: float) -> tuple[int, float | None]:
        """How many submissions at or after `since`, and the oldest of them."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*), MIN(ts) FROM pixii_submissions WHERE ts >= ?", (since,)
            ).fetchone()
        return int(row[0]), row[1]

    def record_submission(self, ts: float) -> None:
        with self._lock:
            self._conn.execute("INSERT INTO pixii_submissions (ts) VALUES (?)", (ts,))
            self._conn.execute("DELETE FROM pixii_submissions WHERE ts < ?", (ts - 2 * 86400,))

    # --- jobs --------------------------------------------------------------------------------

    def insert_job(self, job: JobRow) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO pixii_jobs (id, asin, country_code, request, created_at, duration,"
                " credit_cost, variants) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (job.id, job.asin, job.country_code, json.dumps(job.request), job.created_at,
                 job.duration, job.credit_cost, json.dumps(job.variants)),
            )

    def job(self, job_id: str) -> JobRow | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, asin, country_code, request, created_at, duration, credit_cost, variants"
                " FROM pixii_jobs WHERE id = ?", (job_id,)
            ).fetchone()
        return None if row is None else _job(row)

    def jobs_for_asin(self, asin: str, limit: int, offset: int) -> tuple[list[JobRow], int]:
        """One page of an ASIN's jobs, newest first, and the total."""
        with self._lock:
            total = self._conn.execute(
                "SELECT COUNT(*) FROM pixii_jobs WHERE asin = ?", (asin,)
            ).fetchone()[0]
            rows = self._conn.execute(
                "SELECT id, asin, country_code, request, created_at, duration, credit_cost, variants"
                " FROM pixii_jobs WHERE asin = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
                (asin, limit, offset),
            ).fetchall()
        return [_job(row) for row in rows], int(total)

    def settle(self, now: float) -> None:
        """Refund failed variants of every job that has finished by `now`, exactly once."""
        with self.transaction():
            rows = self._conn.execute(
                "SELECT id, variants FROM pixii_jobs WHERE settled = 0 AND created_at + duration <= ?",
                (now,),
            ).fetchall()
            if not rows:
                return
            refund = sum(refunded_credits(json.loads(variants)) for _, variants in rows)
            if refund:
                balance = self._get("balance")
                self._set("balance", (DEFAULT_BALANCE if balance is None else balance) + refund)
            self._conn.executemany(
                "UPDATE pixii_jobs SET settled = 1 WHERE id = ?", [(job_id,) for job_id, _ in rows]
            )

    # --- request log -------------------------------------------------------------------------

    def log(self, ts: float, method: str, path: str, status: int, code: str | None) -> None:
        """Append one line, keeping only the newest `log_size`."""
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO pixii_log (ts, method, path, status, code) VALUES (?, ?, ?, ?, ?)",
                (ts, method, path, status, code),
            )
            if cursor.lastrowid is not None and cursor.lastrowid % 100 == 0:
                self._conn.execute("DELETE FROM pixii_log WHERE id <= ?",
                                   (cursor.lastrowid - self._log_size,))

    def requests(self, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT ts, method, path, status, code FROM pixii_log ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            {"time": ts, "method": method, "path": path, "status": status, "code": code}
            for ts, method, path, status, code in reversed(rows)
        ]


def refunded_credits(variants: list[dict[str, Any]]) -> int:
    return sum(CREDIT_COST[v["type"]] for v in variants if v.get("error"))


def _job(row: tuple[Any, ...]) -> JobRow:
    job_id, asin, country, request, created, duration, cost, variants = row
    return JobRow(job_id, asin, country, json.loads(request), created, duration, cost,
                  json.loads(variants))
