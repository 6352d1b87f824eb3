"""`aplusctl status`: where each document stands in moderation, and which ASINs show it."""

from __future__ import annotations

import asyncio
import sys

import click

from aplusctl.cli import App, main
from aplusctl.cli.plan import open_pipeline
from aplusctl.engine.status import read_status, status_queries
from aplusctl.errors import UserError
from aplusctl.render.status_view import render_status_json, render_status_text


@main.command("status")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def status_cmd(app: App, names: tuple[str, ...], fmt: str) -> None:
    """Live status per document and marketplace: DRAFT, SUBMITTED, APPROVED or REJECTED (with
    the reasons), when it last changed, and the ASINs whose detail pages show it.

    NAME selects documents by name, address (US/Chef Knife) or file path; globs work. Read-only:
    one listing per marketplace plus relations and publish records per document.
    """
    code = asyncio.run(_status(app, names, fmt))
    sys.stdout.flush()
    raise SystemExit(code)


async def _status(app: App, names: tuple[str, ...], fmt: str) -> int:
    async with open_pipeline(app.root) as pipe:
        queries = status_queries(pipe.documents, pipe.lock, names)
        if names and not queries:
            raise UserError(f"no document matches {', '.join(names)}")
        statuses = await read_status(pipe.client, queries)
        target = pipe.target.description
    if fmt == "json":
        click.echo(render_status_json(statuses), nl=False)
    else:
        click.echo(f"Target: {target}\n")
        click.echo(render_status_text(statuses, app.color), nl=False)
    return 0
