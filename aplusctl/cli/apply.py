"""`aplusctl apply`: make live A+ content match the files (or execute a saved plan)."""

from __future__ import annotations

import asyncio
import glob
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

import click

from aplusctl.cli import App, main
from aplusctl.cli.plan import Pipeline, ProgressView, open_pipeline
from aplusctl.engine.apply import ApplyResult, Executor, armed, install_interrupt
from aplusctl.engine.generate import GenerateEvent
from aplusctl.engine.plan import Plan, stale_plan_reasons
from aplusctl.engine.runlock import RunLock
from aplusctl.engine.status import (
    REAL_POLL_SECONDS,
    SANDBOX_POLL_SECONDS,
    StatusQuery,
    read_status,
    wait_for_moderation,
)
from aplusctl.errors import Interrupted, UserError
from aplusctl.render import apply_view
from aplusctl.render.plan_json import load_plan_file
from aplusctl.render.plan_text import render_text
from aplusctl.render.status_view import render_status_text, status_json
from aplusctl.target import Target


@dataclass(frozen=True)
class ApplyOptions:
    planfile: Path | None
    auto_approve: bool
    parallelism: int
    fmt: str
    wait: bool
    timeout: float
    poll_interval: float | None
    targets: tuple[str, ...]
    excludes: tuple[str, ...]
    lock_timeout: float


@main.command("apply")
@click.argument("planfile", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking (CI). Not needed with PLANFILE.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Documents applied at once; the client's limiter keeps each operation within its usage plan.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: live progress and a summary; json: one object on stdout (progress lines on stderr).")
@click.option("--wait", is_flag=True, help="After submitting, wait for moderation (bounded by --timeout).")
@click.option("--timeout", type=click.FloatRange(0), default=900.0, show_default=True,
              help="Seconds --wait waits for moderation before giving up.")
@click.option("--poll-interval", type=click.FloatRange(0.05), default=None,
              help="Seconds between status checks with --wait (default: 0.5 on the sandbox, "
              "3600 against Amazon, as Amazon advises).")
@click.option("--target", "targets", multiple=True, metavar="NAME",
              help="Only these documents (name, address like US/Chef Knife, or file path; globs).")
@click.option("--exclude", "excludes", multiple=True, metavar="NAME", help="Leave these documents out (globs).")
@click.option("--lock-timeout", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Seconds to wait for another apply on this repo to finish before refusing.")
@click.pass_obj
def apply_cmd(app: App, planfile: Path | None, auto_approve: bool, parallelism: int, fmt: str,
              wait: bool, timeout: float, poll_interval: float | None, targets: tuple[str, ...],
              excludes: tuple[str, ...], lock_timeout: float) -> None:
    """Apply the plan: upload images, validate, create or update, relate ASINs, submit.

    Without PLANFILE: plan, show it and ask for confirmation (--auto-approve skips the question;
    without a terminal on stdin apply refuses rather than wait). With PLANFILE (from `aplusctl
    plan --out`): no question, but the plan is refused when live content or the files changed
    since it was made. Exit 0 when everything succeeded, 1 otherwise, 130 on Ctrl-C.
    """
    opts = ApplyOptions(planfile, auto_approve, parallelism, fmt, wait, timeout, poll_interval,
                        targets, excludes, lock_timeout)
    if planfile is not None and (targets or excludes):
        raise UserError("--target/--exclude cannot be used with a saved plan (its scope is fixed)")
    if planfile is None and not auto_approve:
        if fmt == "json":
            raise UserError("--format json needs --auto-approve or a saved plan (it cannot ask)")
        if not sys.stdin.isatty():
            raise UserError(
                "refusing to apply without confirmation: stdin is not a terminal. Review the plan "
                "and pass --auto-approve, or save it with `aplusctl plan --out FILE` and run "
                "`aplusctl apply FILE`"
            )
    with RunLock(app.root, wait_seconds=lock_timeout):
        try:
            code = asyncio.run(_apply(app, opts))
        except asyncio.CancelledError:  # a second Ctrl-C: in-flight calls were abandoned
            raise Interrupted(
                "interrupted again: stopped at once. aplus.lock records every step that finished; "
                "run apply again to finish (it never duplicates a document)."
            ) from None
    sys.stdout.flush()
    raise SystemExit(code)


def _is_sandbox(target: Target) -> bool:
    """The embedded sandbox, or an endpoint override on loopback (`aplusctl sandbox serve`)."""
    if target.sandbox_url:
        return True
    override = os.environ.get("APLUSCTL_SPAPI_ENDPOINT", "")
    return (urlparse(override).hostname or "") in ("127.0.0.1", "localhost", "::1")


def _scope_from_plan(plan: Plan) -> tuple[str, ...]:
    """A saved plan's scope as exact --target patterns (its addresses, glob-escaped)."""
    addresses = [c.address for c in plan.changes] + [e.address for e in plan.errors]
    return tuple(glob.escape(a) for a in addresses) or ("\x00nothing",)


async def _confirm(target: str) -> bool:
    """Ask on the terminal. The read runs in a daemon thread so that Ctrl-C at the prompt exits
    at once (a worker of the loop's executor would keep asyncio.run waiting for the line)."""
    click.echo(
        f"Do you want to apply these changes to {target or 'the target'}?\n"
        "  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
        nl=False,
    )
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        # Raw reads of fd 0: no interpreter-level buffer lock is held if the process exits.
        data = b""
        try:
            while not data.endswith(b"\n"):
                chunk = os.read(sys.stdin.fileno(), 1024)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        line = data.decode("utf-8", "replace")
        loop.call_soon_threadsafe(lambda: answer.done() or answer.set_result(line))

    threading.Thread(target=read, name="aplusctl-confirm", daemon=True).start()
    return (await answer).strip() == "yes"


async def _apply(app: App, opts: ApplyOptions) -> int:
    saved = None
    if opts.planfile is not None:
        try:
            text = opts.planfile.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot read {opts.planfile}: {exc.strerror}") from None
        saved = load_plan_file(text, str(opts.planfile))

    json_out = opts.fmt == "json"
    progress_stream = sys.stderr if json_out else sys.stdout
    targets = _scope_from_plan(saved) if saved is not None else opts.targets

    async with open_pipeline(app.root) as pipe:
        pipe.client = armed(pipe.client, os.environ)  # the crash tests' kill hook, if set
        view = ProgressView(sys.stderr)
        try:
            plan = await pipe.plan(targets=targets, excludes=opts.excludes, progress=view)
        finally:
            view.close()

        if saved is not None:
            reasons = stale_plan_reasons(saved, plan)
            if reasons:
                raise UserError(
                    "the saved plan is stale:\n  " + "\n  ".join(reasons)
                    + "\nRun plan again (aplusctl plan --out FILE) and apply the new plan."
                )
            print(f"Applying the saved plan {opts.planfile} to {plan.target} "
                  "(live state unchanged since it was made).", file=progress_stream, flush=True)
        else:
            if not json_out:
                click.echo(render_text(plan, color=app.color), nl=False)
            if not plan.has_changes and not plan.errors:
                if json_out:
                    click.echo(apply_view.render_json(ApplyResult(outcomes=[], target=plan.target)),
                               nl=False)
                return 0
            if not opts.auto_approve:
                ok = await _confirm(plan.target)
                if not ok:
                    click.echo("Apply cancelled.", err=True)
                    return 1
                click.echo("")

        def show(event: GenerateEvent) -> None:
            if event.kind != "progress":
                tail = f": {event.message}" if event.message else ""
                print(f"{event.document}: generate {event.kind}{tail}", file=progress_stream,
                      flush=True)

        # Pixii first, before any SP-API change (docs/generate.md); then plan with its modules
        generated = await pipe.generate_pending((c.name for c in plan.changes), show)
        if generated is not None:
            plan = pipe.replan(targets, opts.excludes)

        stop = asyncio.Event()
        progress = apply_view.ApplyProgress(progress_stream, color=app.color)
        executor = Executor(pipe.client, app.root, pipe.lock, pipe.desired_by_name,
                            progress, parallelism=opts.parallelism, stop=stop,
                            show_plan_warnings=saved is not None or json_out)
        undo = install_interrupt(stop)
        try:
            try:
                result = await executor.run(plan)
                if generated is not None:
                    result.generations = len(generated.outcomes)
                    result.pixii_credits = generated.credits_spent
            finally:
                progress.close()
            extra: dict[str, Any] = {}
            code = 0 if result.ok else (130 if result.interrupted else 1)
            if opts.wait and not result.interrupted:
                wait_code, extra = await _wait(pipe, result, opts, progress_stream, app.color,
                                               json_out, stop)
                code = code or (130 if stop.is_set() else wait_code)
        finally:
            undo()

    if json_out:
        click.echo(apply_view.render_json(result, extra), nl=False)
    else:
        click.echo(apply_view.render_summary_text(result), nl=False)
        if extra.get("moderation_text"):
            click.echo(extra.pop("moderation_text"), nl=False)
    return code


async def _wait(pipe: Pipeline, result: ApplyResult, opts: ApplyOptions, stream: TextIO,
                color: bool, json_out: bool, stop: asyncio.Event) -> tuple[int, dict[str, Any]]:
    """Poll moderation for what this run submitted; 1 when rejected or still in review."""
    submitted = [o for o in result.outcomes if o.did("submit") and o.content_reference_key]
    if not submitted:
        return 0, {}
    interval = opts.poll_interval or (
        SANDBOX_POLL_SECONDS if _is_sandbox(pipe.target) else REAL_POLL_SECONDS)
    print(f"Waiting for moderation of {len(submitted)} document(s) (checking every {interval:g} s, "
          f"up to {opts.timeout:g} s)…", file=stream, flush=True)
    waited = await wait_for_moderation(
        pipe.client, [(o.marketplace_id, o.content_reference_key) for o in submitted],
        timeout=opts.timeout, interval=interval, stop=stop,
    )
    asins = {d.name: tuple(d.asins) for d in pipe.desired_by_name.values()}
    statuses = await read_status(pipe.client, [
        StatusQuery(o.name, o.marketplace_id, asins.get(o.name, ()), o.content_reference_key)
        for o in submitted
    ])
    code = 0
    if waited.timed_out or any(s.status in ("REJECTED", "SUBMITTED") for s in statuses):
        code = 1
    tail = ""
    if stop.is_set():
        tail = "Stopped waiting (Ctrl-C); check later with `aplusctl status`.\n"
    elif waited.timed_out:
        tail = f"Still in review after {opts.timeout:g} s; check later with `aplusctl status`.\n"
    extra: dict[str, Any] = {
        "moderation": {"timed_out": waited.timed_out, "polls": waited.polls,
                       "documents": [status_json(s) for s in statuses]},
    }
    if not json_out:
        extra["moderation_text"] = "\n" + render_status_text(statuses, color) + tail
    return code, extra
