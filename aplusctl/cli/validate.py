"""`aplusctl validate`: report every problem in the content files before any API call."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click

from aplusctl.cli import App, main
from aplusctl.config import config_diagnostics
from aplusctl.content.loader import load_repo
from aplusctl.render.annotations import github_annotations
from aplusctl.render.diagnostics import json_report, text_report


def resolve_paths(root: Path, paths: tuple[Path, ...]) -> list[Path] | None:
    """Paths are relative to the repo root (as with git -C), or to the current directory."""
    if not paths:
        return None
    out: list[Path] = []
    for path in paths:
        if not path.is_absolute() and not (root / path).exists() and path.exists():
            path = path.resolve()
        out.append(path)
    return out


def checkout_prefix(root: Path) -> str:
    """The repo root's folder inside the git checkout (`` at its top), for annotation paths.

    GitHub names files from the checkout's root, not from `-C`. The git top-level decides;
    $GITHUB_WORKSPACE stands in when git cannot tell (not a checkout, no git, unsafe owner).
    """
    try:
        found = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                               capture_output=True, text=True, check=False)
        top = found.stdout.strip() if found.returncode == 0 else ""
    except OSError:
        top = ""
    top = top or os.environ.get("GITHUB_WORKSPACE", "")
    if not top:
        return ""
    try:
        inside = root.resolve().relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        return ""
    return "" if inside == "." else inside


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default=None,
    help="text (default): `path:line:col: error: field: message` lines and a count; json: a list of "
    "{path, line, col, field, message, severity}; github: workflow annotations (default when "
    "GITHUB_ACTIONS=true).",
)
@click.pass_obj
def validate(app: App, paths: tuple[Path, ...], fmt: str | None) -> None:
    """Check content files (all under content_dir, or PATHS) and report every problem.

    Exit status 0 when there are no errors (warnings are printed but pass), 1 otherwise. With
    PATHS, only those files are reported, but their names are compared with every content file.
    """
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    config, diagnostics = config_diagnostics(app.root)
    documents = 0
    if config is not None:
        result = load_repo(app.root, config, resolve_paths(app.root, paths), names_across_repo=True)
        diagnostics = diagnostics + result.diagnostics
        documents = result.files
    if fmt == "json":
        click.echo(json_report(diagnostics), nl=False)
    elif fmt == "github":
        click.echo(github_annotations(diagnostics, prefix=checkout_prefix(app.root)), nl=False)
        click.echo(text_report(diagnostics, documents), nl=False, err=True)
    else:
        click.echo(text_report(diagnostics, documents, color=app.color), nl=False)
    if any(d.severity == "error" for d in diagnostics):
        raise SystemExit(1)
