"""`aplusctl plan`: load the files, refresh live state, plan, render; exit 0 / 2 / 1.

Also home of `open_pipeline`, the load → target → refresh → plan sequence that apply reuses.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

import click

from aplusctl import marketplaces as mp
from aplusctl.cli import App, main
from aplusctl.config import RepoConfig, load_config
from aplusctl.content.generated import pending_generation, with_generated
from aplusctl.content.loader import DesiredDocument, load_repo
from aplusctl.engine.generate import GenerateEvent, GenerateResult, generate_then_expand
from aplusctl.engine.live import LiveState
from aplusctl.engine.lock import Lock, load_lock
from aplusctl.engine.plan import Plan, make_plan
from aplusctl.engine.refresh import Progress, refresh
from aplusctl.errors import UserError
from aplusctl.render.diagnostics import text_report
from aplusctl.render.plan_json import render_json
from aplusctl.render.plan_markdown import render_markdown
from aplusctl.render.plan_text import render_text
from aplusctl.target import Target, open_target


class ContentInvalid(UserError):
    """The content files have errors: nothing can be planned until they are fixed."""


def parse_marketplaces(codes: Sequence[str]) -> list[str]:
    """--marketplace values (country codes or marketplaceIds) as marketplaceIds, in order."""
    ids: list[str] = []
    for code in codes:
        found = mp.lookup(code)
        if found is None:
            known = ", ".join(m.country for m in mp.MARKETPLACES)
            raise UserError(f"--marketplace {code!r} is not a marketplace (one of {known})")
        ids.append(found.marketplace_id)
    return list(dict.fromkeys(ids))


def scope_marketplaces(config: RepoConfig, documents: Sequence[DesiredDocument],
                       only: Sequence[str]) -> list[str]:
    """The marketplaceIds to read: every one a file or aplusctl.yaml names, narrowed by
    --marketplace (country codes or ids)."""
    wanted = parse_marketplaces(only)
    ids: list[str] = list(config.marketplace_ids)
    for doc in documents:
        ids += [m for m in doc.marketplaces if m not in ids]
    ids = list(dict.fromkeys(ids))
    return [m for m in ids if m in wanted] if wanted else ids


class Pipeline:
    """Loaded files, aplus.lock and an open target: refresh and plan on demand."""

    def __init__(self, root: Path, config: RepoConfig, documents: list[DesiredDocument],
                 lock: Lock, target: Target, marketplace_ids: list[str]) -> None:
        self.root = root
        self.config = config
        self.documents = documents
        self.lock = lock
        self.target = target
        self.client = target.client
        self.marketplace_ids = marketplace_ids
        self.live: LiveState | None = None

    @property
    def desired_by_name(self) -> dict[str, DesiredDocument]:
        return {d.name: d for d in self.documents}

    async def refresh(self, progress: Progress | None = None) -> LiveState:
        self.live = await refresh(
            self.client, self.documents, self.marketplace_ids, self.lock,
            prune=self.config.prune, progress=progress,
        )
        return self.live

    async def plan(self, targets: Sequence[str] = (), excludes: Sequence[str] = (),
                   progress: Progress | None = None) -> Plan:
        await self.refresh(progress)
        return self.replan(targets, excludes)

    def replan(self, targets: Sequence[str] = (), excludes: Sequence[str] = ()) -> Plan:
        """Plan again against the live state last read (e.g. after generating modules)."""
        assert self.live is not None, "refresh first"
        return make_plan(self.documents, self.live, self.lock, self.config,
                         targets=targets, excludes=excludes, target=self.target.description)

    async def generate_pending(self, names: Iterable[str],
                               on_event: Callable[[GenerateEvent], None]) -> GenerateResult | None:
        """Run the Pixii generations the documents `names` still need (docs/generate.md) and
        take in their modules; None when there was none."""
        wanted = set(names)
        pending = [d for d in self.documents
                   if d.name in wanted and pending_generation(d, self.lock) is not None]
        if not pending:
            return None
        expanded, result = await generate_then_expand(pending, self.lock, self.root,
                                                      self.target.pixii_endpoint, self.target.pixii_key,
                                                      on_event=on_event)
        by_name = {d.name: d for d in expanded}
        self.documents = [by_name.get(d.name, d) for d in self.documents]
        return result


@asynccontextmanager
async def open_pipeline(root: Path, marketplaces: Sequence[str] = ()) -> AsyncIterator[Pipeline]:
    """Load config, content and lock (content errors → ContentInvalid), open the target."""
    config = load_config(root)
    result = load_repo(root, config)
    if result.errors:
        raise ContentInvalid(
            "the content files have errors; fix them (aplusctl validate) and plan again:\n"
            + text_report(result.diagnostics, result.files).rstrip("\n")
        )
    for warning in result.diagnostics:
        click.echo(str(warning), err=True)
    lock = load_lock(root)
    ids = scope_marketplaces(config, result.documents, marketplaces)
    async with open_target(root, config, ids) as target:
        documents = [with_generated(d, lock, root) for d in result.documents]
        yield Pipeline(root, config, documents, lock, target, ids)


class ProgressView:
    """Refresh progress on stderr: a redrawn bar on a TTY, a sparse line otherwise."""

    def __init__(self, stream: TextIO, threshold: int = 40) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.threshold = threshold   # short refreshes show nothing
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, what: str) -> None:
        if total < self.threshold:
            return
        now = time.monotonic()
        if self.tty:
            if now - self.last < 0.1 and done < total:
                return
            width = 30
            filled = int(width * done / max(total, 1))
            self.stream.write(f"\rRefreshing [{'#' * filled}{'.' * (width - filled)}] {done}/{total} calls")
            self.stream.flush()
            self.shown = True
        elif now - self.last >= 5.0 or done == total:
            self.stream.write(f"refresh: {done}/{total} calls done\n")
            self.stream.flush()
        self.last = now

    def close(self) -> None:
        if self.tty and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def render(plan: Plan, fmt: str, color: bool) -> str:
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color)


def exit_code(plan: Plan, detailed: bool) -> int:
    if plan.errors:
        return 1
    return 2 if detailed and plan.has_changes else 0


async def _plan(app: App, targets: Sequence[str], excludes: Sequence[str],
                marketplaces: Sequence[str]) -> Plan:
    view = ProgressView(sys.stderr)
    try:
        async with open_pipeline(app.root, marketplaces) as pipe:
            return await pipe.plan(targets, excludes, progress=view)
    finally:
        view.close()


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text for terminals, markdown for pull requests, json for machines.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the plan (JSON, with a fingerprint of what it saw) for `aplusctl apply FILE`.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when there is nothing to do, 2 when there are changes, 1 on errors.")
@click.option("--target", "targets", multiple=True, metavar="NAME",
              help="Only these documents (name, US/name address or file path; globs; repeatable).")
@click.option("--exclude", "excludes", multiple=True, metavar="NAME",
              help="Leave these documents out (same patterns as --target; repeatable).")
@click.option("--marketplace", "marketplaces", multiple=True, metavar="X",
              help="Only this marketplace (country code such as US, or marketplaceId; repeatable).")
@click.pass_obj
def plan(app: App, fmt: str, out: Path | None, detailed_exitcode: bool, targets: tuple[str, ...],
         excludes: tuple[str, ...], marketplaces: tuple[str, ...]) -> None:
    """Show what apply would change: compare the content files with live A+ content.

    Reads the live state (the embedded sandbox when aplusctl.yaml says `sandbox: true`), diffs it
    with the files and aplus.lock, and prints the plan. Changes nothing.
    """
    result = asyncio.run(_plan(app, targets, excludes, marketplaces))
    if out is not None:
        path = out if out.is_absolute() else Path.cwd() / out
        try:
            path.write_text(render_json(result), encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write the plan to {out}: {exc.strerror}") from None
    click.echo(render(result, fmt, app.color), nl=False)
    if out is not None and fmt == "text":
        click.echo(f"\nSaved the plan to {out}. Apply exactly this plan with: aplusctl apply {out}")
    raise SystemExit(exit_code(result, detailed_exitcode))
