"""`aplusctl generate [NAME...] [--force]`: run the Pixii generations the content files ask for.

Progress goes to stderr (one line per step), the closing summary to stdout. Exit 0 when every
selected stanza has its images on disk and recorded in aplus.lock, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from aplusctl import credentials as creds
from aplusctl.cli import App, main
from aplusctl.config import load_config
from aplusctl.content import generated as g
from aplusctl.content.loader import DesiredDocument, load_repo
from aplusctl.engine.generate import (
    GenerateEvent,
    GenerateResult,
    default_poll_interval,
    generate,
    needs_pixii,
)
from aplusctl.engine.lock import Lock, load_lock
from aplusctl.engine.runlock import RunLock
from aplusctl.errors import UserError
from aplusctl.pixii.client import PixiiClient
from aplusctl.redact import redact
from aplusctl.render.diagnostics import text_report
from aplusctl.render.generate_json import render_json
from aplusctl.target import SANDBOX_DB


@dataclass(frozen=True)
class PixiiTarget:
    description: str
    endpoint: str
    api_key: str


@asynccontextmanager
async def pixii_target(root: Path, sandbox: bool, env: Mapping[str, str]) -> AsyncIterator[PixiiTarget]:
    """Pixii as plan and apply resolve it: an endpoint override, the embedded sandbox, or Pixii.

    Only Pixii is opened: generating needs no SP-API credentials.
    """
    if env.get(creds.PIXII_ENDPOINT, "").strip() or env.get(creds.SPAPI_ENDPOINT, "").strip():
        endpoint = creds.pixii_endpoint(env)
        yield PixiiTarget(f"Pixii at {endpoint}", endpoint, creds.pixii_api_key(env))
        return
    if sandbox:
        from aplusctl.sandbox.server import EmbeddedSandbox
        from aplusctl.sandbox.settings import SANDBOX_PIXII_KEY, SandboxSettings

        db = root / SANDBOX_DB
        db.parent.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedSandbox(SandboxSettings(db=db)).start()
        try:
            yield PixiiTarget(f"sandbox ({SANDBOX_DB})", embedded.base_url + "/pixii",
                              SANDBOX_PIXII_KEY)
        finally:
            embedded.stop()
        return
    endpoint = creds.pixii_endpoint(env)
    yield PixiiTarget(f"Pixii ({endpoint})", endpoint, creds.pixii_api_key(env))


def select(documents: list[DesiredDocument], names: tuple[str, ...]) -> list[DesiredDocument]:
    """Documents with a stanza whose name matches a NAME (globs allowed); every NAME must match."""
    if not names:
        return [d for d in documents if d.generate is not None]
    chosen: list[DesiredDocument] = []
    for pattern in names:
        hits = [d for d in documents if fnmatch.fnmatchcase(d.name, pattern)]
        if not hits:
            known = ", ".join(sorted(repr(d.name) for d in documents if d.generate)) or "none"
            raise UserError(f"no document named {pattern!r} (documents with a generate: stanza: {known})")
        without = [d.name for d in hits if d.generate is None]
        if without and len(without) == len(hits):
            raise UserError(f"{without[0]!r} has no generate: stanza; nothing to generate")
        chosen += [d for d in hits if d.generate is not None and d not in chosen]
    return chosen


# --- text ------------------------------------------------------------------------------------


def _credits(n: int) -> str:
    return f"{n} credit" + ("" if n == 1 else "s")


def event_line(event: GenerateEvent) -> str | None:
    """One progress line for stderr, or None for events not worth a line."""
    who = event.document
    match event.kind:
        case "skipped":
            return f"{who}: already generated (job {event.job_id}); --force to regenerate"
        case "submitted":
            left = ("" if event.remaining_credits is None
                    else f"; {_credits(event.remaining_credits)} left")
            return f"{who}: submitted Pixii job {event.job_id} ({_credits(event.credits)}{left})"
        case "recovered":
            return f"{who}: found job {event.job_id} that an interrupted run submitted; resuming"
        case "resumed":
            return f"{who}: resuming Pixii job {event.job_id} recorded in aplus.lock (no new charge)"
        case "progress":
            return f"{who}: job {event.job_id} {event.status}"
        case "downloaded":
            return f"{who}: downloaded {event.variant} ({event.files} images)"
        case "variant_failed":
            return (f"{who}: {event.variant} failed ({event.message}); "
                    f"{_credits(event.credits)} refunded; the other variants are usable")
        case "completed":
            return f"{who}: done, {event.files} files recorded in aplus.lock"
        case "failed" | "expired" | "error":
            return None     # in the summary, once
    return None


def summary_lines(result: GenerateResult, lock: Lock) -> list[str]:
    lines: list[str] = []
    for outcome in result.outcomes:
        record = lock.generations.get(outcome.stanza_hash) or {}
        if outcome.status in ("completed", "skipped") and record:
            where = record.get("dir", g.GENERATED_DIR)
            types = g.describe_types(record.get("types") or [])
            lines.append(f"{outcome.document}: {types} in {where}/")
        for notice in outcome.notices:
            lines.append(f"  note: {notice}")
        for variant, code, message, refunded in g.failed_variants(record):
            if outcome.status in ("completed", "skipped"):
                lines.append(f"  {variant} failed at Pixii ({code}: {message}); "
                             f"{_credits(refunded)} refunded; --force regenerates every type")
    spent, refunded = result.credits_spent, result.credits_refunded
    done = sum(o.status == "completed" for o in result.outcomes)
    skipped = sum(o.status == "skipped" for o in result.outcomes)
    failed = sum(o.error is not None for o in result.outcomes)
    line = f"Generate: {done} generated, {skipped} already generated, {failed} failed; " \
           f"{_credits(spent)} spent"
    if refunded:
        line += f" ({_credits(refunded)} refunded)"
    lines.append(line + ".")
    return lines


# --- the command -----------------------------------------------------------------------------


@main.command("generate")
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True,
              help="Generate again even where aplus.lock records a generation (spends credits).")
@click.option("--timeout", type=click.FloatRange(min=0), default=900.0, show_default=True,
              help="Seconds to wait for Pixii jobs; a job still running is resumed by the next run.")
@click.option("--poll-interval", type=click.FloatRange(min=0.01), default=None,
              help="Seconds between job polls (default 5, or 0.25 against a loopback sandbox).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: one object on stdout for CI (progress stays on stderr).")
@click.pass_obj
def generate_command(app: App, names: tuple[str, ...], force: bool, timeout: float,
                     poll_interval: float | None, fmt: str) -> None:
    """Run Pixii for the generate: stanzas of documents NAME... (default: all).

    Each stanza is generated once: the job id is recorded in aplus.lock as soon as Pixii accepts
    it, images land in assets/generated/<document>/<type>/, and later runs skip it unless --force.
    """
    config = load_config(app.root)
    loaded = load_repo(app.root, config)
    if loaded.errors:
        raise UserError("the content files have errors; fix them first:\n"
                        + text_report(loaded.diagnostics, loaded.files).rstrip())
    docs = select(loaded.documents, names)
    if not docs:
        if fmt == "json":
            click.echo(render_json(GenerateResult(), load_lock(app.root)), nl=False)
        else:
            click.echo("No generate: stanzas in the content files; nothing to generate.")
        return
    with RunLock(app.root):     # one writer of aplus.lock: two runs could both pay for a stanza
        lock = load_lock(app.root)
        result = asyncio.run(_run(app.root, config.sandbox, docs, lock, force, timeout,
                                  poll_interval))
    if fmt == "json":
        click.echo(render_json(result, lock), nl=False)
        if not result.ok:
            click.echo(redact(result.error_message()), err=True)
            click.get_current_context().exit(1)
        return
    for line in summary_lines(result, lock):
        click.echo(redact(line))
    if not result.ok:
        raise UserError(redact(result.error_message()))


async def _run(root: Path, sandbox: bool, docs: list[DesiredDocument], lock: Lock, force: bool,
               timeout: float, poll_interval: float | None) -> GenerateResult:
    if not needs_pixii(docs, lock, root, force=force):
        return await generate(docs, lock, root, None, on_event=_show(time.monotonic()))
    pending = {p.stanza_hash: p for p in (g.pending_generation(d, lock, force=force) for d in docs)
               if p is not None}
    async with pixii_target(root, sandbox, os.environ) as target:
        cost = sum(p.credits for p in pending.values() if not p.blocked)
        if pending:
            click.echo(f"Generating with {target.description}: {len(pending)} generation(s), "
                       f"up to {_credits(cost)}.", err=True)
        interval = poll_interval or default_poll_interval(target.endpoint)
        async with PixiiClient(target.endpoint, target.api_key) as pixii:
            return await generate(docs, lock, root, pixii, force=force,
                                  on_event=_show(time.monotonic()), poll_interval=interval,
                                  timeout=timeout)


def _show(started: float) -> Callable[[GenerateEvent], None]:
    def show(event: GenerateEvent) -> None:
        line = event_line(event)
        if line is not None:
            click.echo(redact(f"[{time.monotonic() - started:5.1f}s] {line}"), err=True)

    return show
