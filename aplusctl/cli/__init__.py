"""The `aplusctl` command line: click commands only; each command lives in its own module."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from aplusctl import __version__
from aplusctl.errors import Interrupted, UserError
from aplusctl.redact import install_log_filter


class App:
    """What every command needs from the global options."""

    def __init__(self, root: Path, color: bool, verbose: int) -> None:
        self.root = root
        self.color = color
        self.verbose = verbose


def _use_color(no_color: bool) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except Interrupted as exc:
            click.echo(str(exc), err=True)
            ctx.exit(130)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aplusctl")
@click.option(
    "-C", "--chdir", "root", type=click.Path(file_okay=False, path_type=Path), default=".",
    help="The content repo root (default: the current directory).",
)
@click.option("--no-color", is_flag=True, help="Plain output (NO_COLOR is honoured too).")
@click.option("-v", "--verbose", count=True, help="More detail on stderr; -v logs one line per API call.")
@click.pass_context
def main(ctx: click.Context, root: Path, no_color: bool, verbose: int) -> None:
    """Amazon A+ Content as code: validate, plan and apply A+ documents from YAML."""
    if not root.is_dir():
        raise click.BadParameter(f"{root} is not a directory", param_hint="-C/--chdir")
    logging.basicConfig(
        level=logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        stream=sys.stderr,
    )
    install_log_filter()
    if verbose < 2:  # -v means our one line per call, not httpx's as well
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    ctx.obj = App(root=root.resolve(), color=_use_color(no_color), verbose=verbose)


# Each command module adds itself to `main` here (one line each).
from aplusctl.cli import validate  # noqa: E402,F401
from aplusctl.cli import fmt  # noqa: E402,F401
from aplusctl.cli import render  # noqa: E402,F401
from aplusctl.cli import schema  # noqa: E402,F401
from aplusctl.cli import sandbox  # noqa: E402,F401
from aplusctl.cli import gha  # noqa: E402,F401
from aplusctl.cli import plan  # noqa: E402,F401
from aplusctl.cli import apply  # noqa: E402,F401
from aplusctl.cli import status  # noqa: E402,F401
from aplusctl.cli import generate  # noqa: E402,F401
from aplusctl.cli import import_cmd  # noqa: E402,F401
