"""`aplusctl import`: adopt live A+ documents into content files and aplus.lock.

Exit 0 when everything asked for was imported (with --all: documents that cannot be imported
are reported and skipped, files that already declare a document are kept); 1 when a NAME
matched nothing, or a named document was not imported.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from aplusctl import marketplaces as mp
from aplusctl.cli import App, main
from aplusctl.cli.plan import parse_marketplaces
from aplusctl.config import RepoConfig, load_config
from aplusctl.engine.importer import (
    ImportResult,
    LiveRead,
    declared_documents,
    plan_import,
    read_live,
    write_import,
)
from aplusctl.engine.lock import LOCK_FILE, load_lock, save_lock
from aplusctl.engine.runlock import RunLock
from aplusctl.errors import UserError
from aplusctl.target import open_target


def _marketplace_ids(config: RepoConfig, codes: Sequence[str]) -> list[str]:
    if not codes:
        if not config.marketplace_ids:
            raise UserError("aplusctl.yaml names no marketplaces: say which with --marketplace (e.g. US)")
        return list(config.marketplace_ids)
    ids = parse_marketplaces(codes)
    regions = {mp.by_id(m).region for m in ids}
    if config.region and regions - {config.region}:
        raise UserError(f"--marketplace: aplusctl.yaml's region is {config.region}; "
                        f"{', '.join(sorted(codes))} is not all in it")
    return ids


def _out_dir(root: Path, config: RepoConfig, raw: str | None) -> str:
    """--dir as a repo-relative path inside content_dir (plan reads nothing outside it)."""
    content = (root / config.content_dir).resolve()
    if raw is None:
        return "" if content == root.resolve() else content.relative_to(root.resolve()).as_posix()
    target = (Path(raw) if Path(raw).is_absolute() else root / raw).resolve()
    if target != content and content not in target.parents:
        raise UserError(
            f"--dir {raw}: must be inside the content directory {config.content_dir!r}; plan reads no "
            "file outside it, and aplus.lock would record documents no file declares"
        )
    rel = target.relative_to(root.resolve()).as_posix()
    return "" if rel == "." else rel


async def _read(root: Path, config: RepoConfig, ids: list[str], names: list[str] | None) -> tuple[list[LiveRead], list[str]]:
    async with open_target(root, config, ids) as target:
        click.echo(f"Reading live A+ documents from {target.description} …", err=True)
        return await read_live(target.client, ids, names)


def _report(result: ImportResult, root: Path) -> None:
    for item in result.imported:
        verb = "rewrote " if item.overwrites else "imported"
        asins = len(item.live.asins)
        modules = len((item.live.document or {}).get("contentModuleList") or [])
        click.echo(f"{verb} {item.live.address} → {item.path} ({modules} module{'s' if modules != 1 else ''}, "
                   f"{asins} ASIN{'s' if asins != 1 else ''}, {item.live.status or 'no status'})")
        for note in item.notes:
            click.echo(f"         note: {note}")
    for skip in result.skipped:
        click.echo(f"{'kept    ' if skip.kept else 'skipped '} {skip.live.address} "
                   f"({skip.live.content_reference_key}): {skip.reason}")
    for name in result.unmatched:
        click.echo(f"error: no live document matches {name!r}", err=True)
    n, s = len(result.imported), len(result.skipped)
    tail = f"; {LOCK_FILE} updated. `aplusctl plan` should now show no changes" if n else ""
    click.echo(f"\nImported {n} document{'s' if n != 1 else ''}, left {s} alone{tail}.")
    if n and not (root / "schemas" / "content.schema.json").is_file():
        click.echo("Tip: `aplusctl schema` writes schemas/content.schema.json, which the files' first line "
                   "points editors to.")


@main.command(name="import")
@click.argument("names", nargs=-1, metavar="[NAME...]")
@click.option("--all", "all_", is_flag=True, help="Every live document in the marketplaces.")
@click.option("--marketplace", "marketplaces", multiple=True, metavar="X",
              help="Read this marketplace (country code or marketplaceId; repeatable; "
                   "default: aplusctl.yaml's marketplaces).")
@click.option("--dir", "out_dir", default=None, metavar="DIR",
              help="Where new files go, inside the content directory (default: content_dir).")
@click.option("--force", is_flag=True,
              help="Rewrite files that already declare a document from its live content (comments are lost).")
@click.pass_obj
def import_(app: App, names: tuple[str, ...], all_: bool, marketplaces: tuple[str, ...],
            out_dir: str | None, force: bool) -> None:
    """Adopt live A+ documents into content files: one file per document and marketplace.

    NAME is a document name, a US/name address or a shell glob of either. Files are written in
    the SP-API shape with the sugars applied, images as upload_destination_id references, ASINs
    from the live relations and the key pinned; aplus.lock records them as apply would, so
    `aplusctl plan` right after shows no changes. Documents aplusctl cannot represent exactly
    (Premium A+, Brand Story, content that would not pass validate) are reported and skipped.
    """
    if all_ and names:
        raise UserError("name documents or pass --all, not both")
    if not all_ and not names:
        raise UserError("say what to import: one or more document names, or --all")
    config = load_config(app.root)
    ids = _marketplace_ids(config, marketplaces)
    directory = _out_dir(app.root, config, out_dir)
    with RunLock(app.root):  # one writer of aplus.lock at a time (apply, generate, import)
        documents, unmatched = asyncio.run(_read(app.root, config, ids, None if all_ else list(names)))
        lock = load_lock(app.root)
        result = plan_import(app.root, config, documents, declared_documents(app.root, config),
                             directory, lock, force=force)
        result.unmatched = unmatched
        try:
            write_import(app.root, result, lock)
        finally:
            if result.imported:
                save_lock(app.root, lock)
    _report(result, app.root)
    failed = bool(unmatched) or (not all_ and bool(result.skipped))
    sys.exit(1 if failed else 0)
