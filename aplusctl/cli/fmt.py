"""`aplusctl fmt`: rewrite content files in canonical form, or with --check say which are not."""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import click
import yaml

from aplusctl.cli import App, main
from aplusctl.content.fmt import format_text
from aplusctl.content.loader import repo_path, yaml_files_under
from aplusctl.errors import UserError
from aplusctl.render.diagnostics import plural

def content_dir(root: Path) -> Path:
    """`content_dir` from aplusctl.yaml, read leniently: fmt must work even while the config has other problems."""
    name = "content"
    try:
        data = yaml.safe_load((root / "aplusctl.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("content_dir"), str) and data["content_dir"].strip():
        name = data["content_dir"]
    return root / name


def collect(root: Path, paths: Iterable[str]) -> list[Path]:
    """The files to format: those named (directories searched), else every content file."""
    named = list(paths)
    if not named:
        directory = content_dir(root)
        if not directory.is_dir():
            raise UserError(f"no content directory {directory} (set content_dir in aplusctl.yaml or name files)")
        return yaml_files_under(directory, root)
    files: list[Path] = []
    for raw in named:
        path = root / raw  # relative to the repo root (as with git -C), else to the current directory
        if not path.exists() and Path(raw).exists():
            path = Path(raw).resolve()
        if path.is_dir():
            files.extend(yaml_files_under(path, root))
        elif path.is_file():
            files.append(path)
        else:
            raise UserError(f"{raw}: no such file or directory")
    return list(dict.fromkeys(files))


def _write_atomically(path: Path, text: str) -> None:
    """Replace the file in one step, so an interrupted fmt never leaves half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _formatted(path: Path, shown: str) -> tuple[str, str]:
    """(text on disk, canonical text); line endings become LF."""
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{shown}: not UTF-8 text") from None
    return raw, format_text(raw.replace("\r\n", "\n"), shown)


@main.command("fmt")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing the files that are not formatted.")
@click.option("--diff", "show_diff", is_flag=True, help="Also print what changes (or would change) as a unified diff.")
@click.argument("paths", nargs=-1)
@click.pass_obj
def fmt_command(app: App, check: bool, show_diff: bool, paths: tuple[str, ...]) -> None:
    """Rewrite content files in canonical form (key order, quoting, indentation), keeping comments.

    PATHS are files or directories, relative to the repo root (or else the current directory);
    default: every .yaml/.yml file under the content directory, as `validate` finds them. Exit 0 when nothing needed (or, without --check, got) formatting;
    with --check, exit 1 when any file would change.
    """
    files = collect(app.root, paths)
    changed: list[str] = []
    errors: list[str] = []
    for path in files:
        shown = repo_path(path, app.root)
        try:
            raw, canonical = _formatted(path, shown)
        except UserError as exc:
            errors.append(str(exc))
            continue
        if canonical == raw:
            continue
        changed.append(shown)
        if show_diff:
            click.echo(_unified(raw, canonical, shown), nl=False)
        if check:
            click.echo(f"would reformat {shown}")
        else:
            _write_atomically(path, canonical)
            click.echo(f"reformatted {shown}")
    unchanged = len(files) - len(changed) - len(errors)
    verb = "would be reformatted" if check else "reformatted"
    click.echo(f"{plural(len(changed), 'file')} {verb}, {plural(unchanged, 'file')} already formatted.", err=True)
    if errors:
        raise UserError("\n".join(errors))
    if check and changed:
        raise click.exceptions.Exit(1)


def _unified(before: str, after: str, shown: str) -> str:
    lines = difflib.unified_diff(
        before.replace("\r\n", "\n").splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"a/{shown}", tofile=f"b/{shown}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
