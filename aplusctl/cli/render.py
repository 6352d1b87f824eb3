"""`aplusctl render FILE`: the exact PostContentDocumentRequest one content file expands to."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aplusctl import marketplaces as mp
from aplusctl.cli import App, main
from aplusctl.cli.validate import resolve_paths
from aplusctl.config import load_config
from aplusctl.content.generated import with_generated
from aplusctl.content.loader import load_repo
from aplusctl.engine.lock import load_lock
from aplusctl.errors import UserError
from aplusctl.render.diagnostics import text_report


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--marketplace", "-m", help="Country code or marketplaceId (needed when the file targets several).")
@click.pass_obj
def render(app: App, file: Path, marketplace: str | None) -> None:
    """Print the createContentDocument request body FILE expands to (images as local: paths)."""
    config = load_config(app.root)
    paths = resolve_paths(app.root, (file,)) or []
    target = paths[0] if paths[0].is_absolute() else app.root / paths[0]
    if not target.is_file():
        raise UserError(f"{file}: no such file")
    result = load_repo(app.root, config, paths)
    if result.errors or not result.documents:
        click.echo(text_report(result.diagnostics, result.files), nl=False, err=True)
        raise SystemExit(1)
    doc = result.documents[0]
    if marketplace is None:
        if len(doc.marketplaces) > 1:
            countries = ", ".join(mp.by_id(m).country for m in doc.marketplaces)
            raise UserError(f"{doc.path} targets {countries}: choose one with --marketplace")
        marketplace_id = doc.marketplaces[0]
    else:
        found = mp.lookup(marketplace)
        if found is None:
            raise UserError(f"unknown marketplace {marketplace!r}")
        if found.marketplace_id not in doc.marketplaces:
            countries = ", ".join(mp.by_id(m).country for m in doc.marketplaces)
            raise UserError(f"{doc.path} does not target {marketplace} (it targets {countries})")
        marketplace_id = found.marketplace_id
    if doc.generate is not None:  # modules from a completed Pixii generation, as apply publishes them
        doc = with_generated(doc, load_lock(app.root), app.root)
    if not doc.modules:
        raise UserError(f"{doc.path} has no modules yet: they come from its generate: stanza (run `aplusctl generate`)")
    request = {"contentDocument": doc.body(marketplace_id)}
    click.echo(json.dumps(request, indent=2, ensure_ascii=False))
