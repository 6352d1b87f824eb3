"""The generate run: submit each needed Pixii job once, poll, download into the repo, record.

Paying twice is the failure this module exists to prevent, so aplus.lock is saved (atomically)
at every step that changes what a re-run must do:

1. before a submission, an intent (`status: submitting`, the time): a run killed while Pixii
   answers finds its job again by listing the ASIN's jobs instead of submitting again;
2. the job id, as soon as Pixii answers (`submitted`): a re-run polls that job, for free;
3. the files and their hashes once every image is on disk (`completed`), or `failed` / `expired`.

Submissions go one at a time (Pixii limits them to 10 a minute; the client waits 429s out within
a bound); jobs are then polled and downloaded concurrently, as each takes minutes at Pixii.
A refusal that no other submission could escape (key, brand, rate limit) stops further
submissions; anything else, INSUFFICIENT_CREDITS included (a smaller request may fit), fails only
its own document.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from aplusctl.content import generated as g
from aplusctl.content.loader import DesiredDocument
from aplusctl.engine.lock import Lock, save_lock, write_atomic
from aplusctl.errors import UserError
from aplusctl.pixii.client import PixiiClient
from aplusctl.pixii.jobs import Job, Variant, parse_time
from aplusctl.pixii.errors import (
    JobNotFound,
    NoActiveBrand,
    PixiiError,
    PixiiInternalError,
    PixiiUnavailable,
    PixiiUnauthorized,
    RateLimited,
    ResultExpired,
    SubmitOutcomeUnknown,
)

EventKind = Literal["skipped", "submitted", "recovered", "resumed", "progress", "downloaded",
                    "variant_failed", "completed", "failed", "expired", "error"]
OutcomeStatus = Literal["skipped", "completed", "failed", "expired", "error"]

# A refusal any further submission would meet too: stop submitting, keep polling what was paid.
# (INSUFFICIENT_CREDITS is not one: a smaller request may still fit the balance.)
_STOPS_ALL = (PixiiUnauthorized, NoActiveBrand, RateLimited)
# How far before our intent a recovered job may have been created (clocks differ).
_CLOCK_SKEW = timedelta(minutes=5)
PIXII_POLL_SECONDS = 5.0          # Pixii's advice
LOOPBACK_POLL_SECONDS = 0.25      # a loopback Pixii is the sandbox, whose jobs take seconds


def default_poll_interval(endpoint: str) -> float:
    host = urlsplit(endpoint).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return LOOPBACK_POLL_SECONDS if loopback else PIXII_POLL_SECONDS


@dataclass(frozen=True)
class GenerateEvent:
    """One step of a document's generation, for progress views."""

    kind: EventKind
    document: str
    stanza_hash: str
    job_id: str | None = None
    status: str | None = None            # Pixii's job status on progress events
    variant: str | None = None
    files: int = 0
    credits: int = 0                     # charged (submitted) or refunded (variant_failed)
    remaining_credits: int | None = None # the balance after a submission, when Pixii says
    message: str = ""


@dataclass
class Outcome:
    document: str
    stanza_hash: str
    status: OutcomeStatus
    job_id: str | None = None
    credits_spent: int = 0               # charged in this run, net of refunds
    credits_refunded: int = 0
    error: str | None = None
    code: str | None = None              # Pixii's error code, when Pixii refused
    credits_needed: int = 0              # what the refused request costs
    notices: list[str] = field(default_factory=list)


@dataclass
class GenerateResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.error is None for o in self.outcomes)

    @property
    def credits_spent(self) -> int:
        return sum(o.credits_spent for o in self.outcomes)

    @property
    def credits_refunded(self) -> int:
        return sum(o.credits_refunded for o in self.outcomes)

    def error_message(self) -> str:
        lines = [f"{o.document}: {o.error}" for o in self.outcomes if o.error]
        short = [o for o in self.outcomes if o.code == "INSUFFICIENT_CREDITS"]
        if len(short) > 1:
            lines.append(f"Pixii refused {len(short)} generations for lack of credits; together "
                         f"they need {sum(o.credits_needed for o in short)} credits.")
        return "\n".join(lines)


@dataclass
class _Run:
    lock: Lock
    root: Path
    client: PixiiClient | None
    emit: Callable[[GenerateEvent], None]
    poll_interval: float
    timeout: float
    downloads: asyncio.Semaphore
    now: Callable[[], datetime]

    def save(self) -> None:
        save_lock(self.root, self.lock)

    @property
    def pixii(self) -> PixiiClient:
        if self.client is None:   # callers pass None only when `needs_pixii` said so
            raise UserError("internal: this generate run needs Pixii but was given no client")
        return self.client


def _default_now() -> datetime:
    return datetime.now(timezone.utc)


async def generate(
    docs: Iterable[DesiredDocument],
    lock: Lock,
    root: Path,
    pixii: PixiiClient | None,
    *,
    force: bool = False,
    on_event: Callable[[GenerateEvent], None] | None = None,
    poll_interval: float = 5.0,
    timeout: float = 900.0,
    download_concurrency: int = 4,
    now: Callable[[], datetime] = _default_now,
) -> GenerateResult:
    """Bring every stanza of `docs` to a completed generation recorded in `lock` (saved in `root`).

    Documents sharing one stanza share one generation. Errors are per document, in the result;
    nothing raises for a Pixii failure, so a caller (apply) can refuse to go on while any
    generation it needs is missing. `pixii` may be None when `needs_pixii` is False.
    """
    run = _Run(lock, root, pixii, on_event or (lambda event: None), poll_interval, timeout,
               asyncio.Semaphore(max(1, download_concurrency)), now)
    result = GenerateResult()
    to_finish: list[tuple[DesiredDocument, str, Outcome]] = []
    stopped: PixiiError | None = None
    seen: set[str] = set()
    wanted = [d for d in docs if d.generate is not None]

    for doc in wanted:
        key = g.stanza_hash(doc.generate)
        if key in seen:
            continue
        seen.add(key)
        outcome = Outcome(doc.name, key, "skipped")
        result.outcomes.append(outcome)
        record = lock.generations.get(key)
        status = g.record_status(record)
        if not force and status == "completed" and _files_present(record, root):
            run.emit(GenerateEvent("skipped", doc.name, key, job_id=record.get("job_id")))
            outcome.job_id = record.get("job_id")
            outcome.notices = _notices(record)
            continue
        if not force and status == "completed":          # files deleted: fetch them again
            to_finish.append((doc, key, outcome))
            continue
        if not force and record is not None and g.is_expired(record, now()):
            _mark_expired(run, doc, key, outcome)
            continue
        if not force and status == "submitted" and record.get("job_id"):
            run.emit(GenerateEvent("resumed", doc.name, key, job_id=record["job_id"]))
            to_finish.append((doc, key, outcome))
            continue
        if stopped is not None:
            outcome.status, outcome.error = "error", f"not submitted: {stopped}"
            continue
        problem = g.stanza_problem(doc.generate)
        if problem is not None:
            outcome.status, outcome.error = "error", f"{doc.path}: {problem} (nothing was submitted)"
            continue
        try:
            await _submit(run, doc, key, outcome, force=force)
        except PixiiError as exc:
            outcome.status, outcome.error, outcome.code = "error", str(exc), exc.code
            outcome.credits_needed = g.generation_cost(doc.generate)
            if isinstance(exc, _STOPS_ALL):
                stopped = exc
            continue
        to_finish.append((doc, key, outcome))

    await asyncio.gather(*(_finish_safely(run, doc, key, outcome)
                           for doc, key, outcome in to_finish))
    if stopped is not None:   # one full message is enough; the others point to it
        cause = next((o for o in result.outcomes
                      if o.error and not o.error.startswith("not submitted")), None)
        for o in result.outcomes:
            if cause is not None and o.error and o.error.startswith("not submitted"):
                o.error = f"not submitted: Pixii refused {cause.document!r} first (see there)"
    return result


def needs_pixii(docs: Iterable[DesiredDocument], lock: Lock, root: Path, *,
                force: bool = False) -> bool:
    """Whether a run has anything to ask Pixii: a generation to submit or resume, or files to
    fetch again. When not, no endpoint, key or sandbox need be opened."""
    for doc in docs:
        if doc.generate is None:
            continue
        if force or g.pending_generation(doc, lock) is not None:
            return True
        record = g.completed_record(doc.generate, lock)
        if record is not None and not _files_present(record, root):
            return True
    return False


async def generate_then_expand(
    docs: list[DesiredDocument],
    lock: Lock,
    root: Path,
    pixii_endpoint: str,
    pixii_key: str | None,
    *,
    on_event: Callable[[GenerateEvent], None] | None = None,
    poll_interval: float | None = None,
    timeout: float = 900.0,
) -> tuple[list[DesiredDocument], GenerateResult]:
    """What apply runs before any SP-API call: every generation the plan showed, then the
    documents with their generated modules (hand-written ones first), and what it cost.

    Any generation that cannot complete (INSUFFICIENT_CREDITS, an expired job, a timeout, ...)
    raises a UserError naming each, so apply stops before touching the SP-API.
    """
    needed = [d for d in docs if needs_pixii([d], lock, root)]
    result = GenerateResult()
    if needed:
        if not pixii_key:
            names = ", ".join(repr(d.name) for d in needed)
            raise UserError(f"PIXII_API_KEY is not set: it is needed to generate {names}. "
                            "No SP-API change was made.")
        async with PixiiClient(pixii_endpoint, pixii_key) as pixii:
            result = await generate(needed, lock, root, pixii, on_event=on_event, timeout=timeout,
                                    poll_interval=poll_interval or default_poll_interval(pixii_endpoint))
        if not result.ok:
            raise UserError(result.error_message() + "\nNo SP-API change was made.")
    return [g.with_generated(d, lock, root) for d in docs], result


# --- submission ------------------------------------------------------------------------------


async def _submit(run: _Run, doc: DesiredDocument, key: str, outcome: Outcome, *,
                  force: bool) -> None:
    """Submit (or find the job a killed run submitted), recording the job id at once."""
    lock = run.lock
    previous = lock.generations.get(key)
    if previous is not None and g.record_status(previous) == "submitting" and not force:
        job = await _recover(run, previous)
        if job is not None:
            _record_submitted(run, previous, job)
            outcome.job_id = job.id
            run.emit(GenerateEvent("recovered", doc.name, key, job_id=job.id,
                                   message="found the job an interrupted run submitted"))
            return
    directory = g.document_dir(doc.name, doc.path, key, lock)
    record = g.new_record(doc.name, doc.path, directory, doc.generate, run.now())
    lock.generations[key] = record
    run.save()
    try:
        job = await run.pixii.submit_a_plus(g.pixii_request(doc.generate))
    except SubmitOutcomeUnknown:
        found = await _recover(run, record)
        if found is None:
            raise                      # the intent stays: the next run looks for the job again
        job = found
    except (PixiiInternalError, PixiiUnavailable):
        raise                          # Pixii may have half-done it: the next run looks first
    except PixiiError:
        # Refused before any charge (or never sent): forget the intent, keep what was there.
        # (Ctrl-C or a cancel mid-request keeps the intent: the next run looks the job up.)
        if previous is None:
            lock.generations.pop(key, None)
        else:
            lock.generations[key] = previous
        run.save()
        raise
    _record_submitted(run, record, job)
    outcome.job_id = job.id
    outcome.credits_spent = job.credit_cost if job.credit_cost is not None else record["credit_cost"]
    run.emit(GenerateEvent("submitted", doc.name, key, job_id=job.id,
                           credits=outcome.credits_spent, status=job.status,
                           remaining_credits=job.remaining_credits))


def _record_submitted(run: _Run, record: dict[str, Any], job: Job) -> None:
    record["job_id"] = job.id
    record["status"] = "submitted"
    record["submitted_at"] = g.iso(job.created_at or run.now())
    if job.credit_cost is not None:
        record["credit_cost"] = job.credit_cost
    run.save()


async def _recover(run: _Run, record: dict[str, Any]) -> Job | None:
    """The job an interrupted submission created: the ASIN's oldest job since the intent."""
    started = parse_time(record.get("submit_started_at"))
    asin = record.get("asin")
    if started is None or not asin:
        return None
    known = {r.get("job_id") for r in run.lock.generations.values() if r.get("job_id")}
    summaries = await run.pixii.list_jobs(asin)
    candidates = [s for s in summaries if s.id not in known and s.created_at is not None
                  and s.created_at >= started - _CLOCK_SKEW]
    if not candidates:
        return None
    oldest = min(candidates, key=lambda s: s.created_at or started)
    return await run.pixii.get_job(oldest.id)


# --- polling and downloading -----------------------------------------------------------------


async def _finish_safely(run: _Run, doc: DesiredDocument, key: str, outcome: Outcome) -> None:
    try:
        await _finish(run, doc, key, outcome)
    except UserError as exc:            # PixiiError, or an image that cannot be made usable
        outcome.status, outcome.error = "error", str(exc)
        run.emit(GenerateEvent("error", doc.name, key, job_id=outcome.job_id, message=str(exc)))
    except OSError as exc:
        outcome.status = "error"
        outcome.error = f"cannot write the generated images: {exc.strerror or exc}"
        run.emit(GenerateEvent("error", doc.name, key, job_id=outcome.job_id, message=outcome.error))


async def _finish(run: _Run, doc: DesiredDocument, key: str, outcome: Outcome) -> None:
    record = run.lock.generations[key]
    job_id = str(record["job_id"])
    outcome.job_id = job_id
    last: list[str | None] = [None]

    def progress(job: Job) -> None:
        if job.status != last[0]:
            last[0] = job.status
            run.emit(GenerateEvent("progress", doc.name, key, job_id=job_id, status=job.status))

    try:
        job = await run.pixii.wait(job_id, interval=run.poll_interval, timeout=run.timeout,
                                   on_progress=progress)
    except JobNotFound:
        if g.is_expired(record, run.now()):
            _mark_expired(run, doc, key, outcome)
            return
        raise PixiiError(
            f"Pixii has no job {job_id}, which aplus.lock records for this generate: stanza (was "
            "the sandbox reset, or the API key changed organization?). Run `aplusctl generate "
            f"--force '{doc.name}'` to submit a new one ({record.get('credit_cost')} credits)."
        ) from None
    if job.expired:
        _mark_expired(run, doc, key, outcome)
        return
    if job.status == "failed":
        _record_variants(record, job, {})
        record["status"] = "failed"
        record["credits_refunded"] = job.credits_refunded
        record["completed_at"] = g.iso(job.completed_at or run.now())
        run.save()
        outcome.status = "failed"
        outcome.credits_refunded = job.credits_refunded
        outcome.credits_spent = max(0, outcome.credits_spent - job.credits_refunded)
        codes = ", ".join(f"{v.type}: {v.error.code}" for v in job.failed if v.error) or job.error_code
        outcome.error = (f"Pixii job {job_id} failed ({codes}); {job.credits_refunded} credits "
                         "were refunded. Run `aplusctl generate` again to retry.")
        run.emit(GenerateEvent("failed", doc.name, key, job_id=job_id,
                               credits=job.credits_refunded, message=outcome.error))
        return
    try:
        files = await _download(run, doc, key, record, job)
    except ResultExpired:
        _mark_expired(run, doc, key, outcome)
        return
    _record_variants(record, job, files)
    record["status"] = "completed"
    record["credits_refunded"] = job.credits_refunded
    record["completed_at"] = g.iso(job.completed_at or run.now())
    _retire_superseded(run, key, record)
    run.save()
    outcome.status = "completed"
    outcome.credits_refunded = job.credits_refunded
    outcome.credits_spent = max(0, outcome.credits_spent - job.credits_refunded)
    outcome.notices = _notices(record)
    for variant, code, message, refunded in g.failed_variants(record):
        run.emit(GenerateEvent("variant_failed", doc.name, key, job_id=job_id, variant=variant,
                               credits=refunded, message=f"{code}: {message}"))
    run.emit(GenerateEvent("completed", doc.name, key, job_id=job_id,
                           files=len(g.record_files(record)), credits=job.credits_refunded))


def _variant_type(variant: Variant, index: int, record: dict[str, Any]) -> str:
    types = record.get("types") or []
    return variant.type or (types[index] if index < len(types) else f"variant-{index + 1}")


async def _download(run: _Run, doc: DesiredDocument, key: str, record: dict[str, Any],
                    job: Job) -> dict[str, dict[str, Any]]:
    """Every successful variant's modules and preview, written into the repo atomically."""
    directory = record.get("dir") or g.document_dir(doc.name, doc.path, key, run.lock)
    record["dir"] = directory
    out: dict[str, dict[str, Any]] = {}
    for index, variant in enumerate(job.variants):
        kind = _variant_type(variant, index, record)
        if not variant.ok:
            continue
        urls = list(variant.modules)
        if not urls:
            raise PixiiError(f"Pixii job {job.id} completed {kind} without any module image.")
        blobs = await asyncio.gather(*(_fetch(run, url) for url in urls))
        if kind == g.BASIC:           # these are uploaded to A+: keep them within its limit
            blobs = [g.fit_upload_limit(data) for data in blobs]
        files = []
        for number, data in enumerate(blobs, start=1):
            path = g.module_path(directory, kind, number, _ext(data))
            write_atomic(run.root / path, data)
            files.append(g.file_entry(path, data))
        preview = None
        if variant.preview:
            data = await _fetch(run, variant.preview)
            path = g.preview_path(directory, kind, _ext(data))
            write_atomic(run.root / path, data)
            preview = g.file_entry(path, data)
        _clean_variant_dir(run.root, directory, kind, files, preview)
        out[kind] = {"files": files, "preview": preview, "error": None}
        run.emit(GenerateEvent("downloaded", doc.name, key, job_id=job.id, variant=kind,
                               files=len(files) + (preview is not None)))
    return out


async def _fetch(run: _Run, url: str) -> bytes:
    async with run.downloads:
        return await run.pixii.download(url)


def _record_variants(record: dict[str, Any], job: Job, files: dict[str, dict[str, Any]]) -> None:
    variants: dict[str, Any] = {}
    for index, variant in enumerate(job.variants):
        kind = _variant_type(variant, index, record)
        if variant.error is not None:
            variants[kind] = {"files": [], "preview": None,
                              "error": {"code": variant.error.code, "message": variant.error.message}}
        elif kind in files:
            variants[kind] = files[kind]
    record["variants"] = variants


def _ext(data: bytes) -> str:
    return "jpg" if data.startswith(b"\xff\xd8\xff") else "png"


def _clean_variant_dir(root: Path, directory: str, kind: str, files: list[dict[str, str]],
                       preview: dict[str, str] | None) -> None:
    """Drop images an earlier generation left in this variant's folder (e.g. module-07)."""
    keep = {f["path"] for f in files} | ({preview["path"]} if preview else set())
    folder = root / directory / g.type_slug(kind)
    for stale in folder.glob("*"):
        rel = f"{directory}/{g.type_slug(kind)}/{stale.name}"
        if stale.is_file() and rel not in keep and stale.name.startswith(("module-", "preview.")):
            stale.unlink()


def _retire_superseded(run: _Run, key: str, record: dict[str, Any]) -> None:
    """Earlier generations whose folder this one overwrote no longer describe any file."""
    keep = set(g.record_files(record))
    for other_key, other in list(run.lock.generations.items()):
        if other_key == key or other.get("dir") != record.get("dir") \
                or other.get("path") != record.get("path"):
            continue
        for rel in g.record_files(other):
            if rel not in keep:
                (run.root / rel).unlink(missing_ok=True)
        del run.lock.generations[other_key]
    for folder in sorted((run.root / str(record.get("dir"))).glob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _files_present(record: dict[str, Any], root: Path) -> bool:
    return all((root / rel).is_file() for rel in g.record_files(record))


def _mark_expired(run: _Run, doc: DesiredDocument, key: str, outcome: Outcome) -> None:
    record = run.lock.generations.get(key)
    if record is not None and g.record_status(record) != "expired":
        record["status"] = "expired"
        run.save()
    cost = g.generation_cost(doc.generate)
    outcome.status = "expired"
    outcome.job_id = record.get("job_id") if record else None
    outcome.error = (f"Pixii job {outcome.job_id} expired before its images were downloaded "
                     "(Pixii keeps results 7 days). Run `aplusctl generate --force "
                     f"'{doc.name}'` to generate again ({cost} credits).")
    run.emit(GenerateEvent("expired", doc.name, key, job_id=outcome.job_id, message=outcome.error))


def _notices(record: dict[str, Any]) -> list[str]:
    notice = g.assets_only_notice(record)
    return [notice] if notice else []
