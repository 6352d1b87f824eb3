"""`aplusctl schema`: write (or check) the JSON Schemas editors use for content files and config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from aplusctl.cli import App, main
from aplusctl.config import config_schema
from aplusctl.content.file_model import content_file_schema


def schema_files() -> dict[str, dict[str, Any]]:
    """File name → schema, generated from the models."""
    return {"content.schema.json": content_file_schema(), "aplusctl.schema.json": config_schema()}


def dump(schema: dict[str, Any]) -> str:
    """Stable text, so the checked-in copy only changes when a model does."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory to write to (default: schemas/ under the repo root).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file is missing or stale.")
@click.pass_obj
def schema(app: App, out_dir: Path | None, check: bool) -> None:
    """Write content.schema.json and aplusctl.schema.json, generated from the models."""
    target = out_dir if out_dir is not None else app.root / "schemas"
    stale: list[str] = []
    for name, body in schema_files().items():
        path = target / name
        text = dump(body)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            click.echo(f"{path}: up to date")
            continue
        if check:
            stale.append(str(path))
            click.echo(f"{path}: {'stale' if current is not None else 'missing'}", err=True)
            continue
        target.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"{path}: written")
    if stale:
        click.echo("run `aplusctl schema` to regenerate", err=True)
        raise SystemExit(1)
