"""`aplusctl sandbox serve`: run the local SP-API + Pixii emulators in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from aplusctl.cli import App, main
from aplusctl.sandbox.settings import SandboxSettings


@main.group()
def sandbox() -> None:
    """The local sandbox: a faithful SP-API (A+, Uploads, LWA) and Pixii on loopback."""


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0 picks a free one).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite state file (default: .aplusctl/sandbox.sqlite under the repo root).")
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(0),
              help="Latency added to every SP-API call.")
@click.option("--rate-scale", default=1.0, show_default=True, type=click.FloatRange(0),
              help="Multiplies every usage plan; 0 lifts the limits.")
@click.option("--moderation-seconds", default=2.0, show_default=True, type=click.FloatRange(0),
              help="How long a submission stays SUBMITTED before APPROVED/REJECTED.")
@click.option("--token-ttl", default=3600, show_default=True, type=click.IntRange(1),
              help="Lifetime of the LWA access tokens it issues, seconds.")
@click.option("--pixii-job-seconds", default=2.0, show_default=True, type=click.FloatRange(0),
              help="How long a Pixii job takes from pending to completed.")
@click.option("--admin", is_flag=True, help="Expose the admin API under /_sandbox/ and /pixii/_sandbox/.")
@click.pass_obj
def serve(app: App, host: str, port: int, db: Path | None, latency_ms: int, rate_scale: float,
          moderation_seconds: float, token_ttl: int, pixii_job_seconds: float, admin: bool) -> None:
    """Serve until Ctrl-C. Prints the base URL and `export NAME=value` lines: eval them to point
    a shell at the sandbox (the credentials printed are the sandbox's own, not real ones)."""
    from aplusctl.sandbox.server import serve as run  # uvicorn and Starlette only when serving

    path = db if db is not None else app.root / ".aplusctl" / "sandbox.sqlite"
    settings = SandboxSettings(db=path, latency_ms=latency_ms, rate_scale=rate_scale,
                               moderation_seconds=moderation_seconds, token_ttl=token_ttl,
                               pixii_job_seconds=pixii_job_seconds, admin=admin)
    click.echo(f"# state: {path}", err=True)
    try:
        run(settings, host=host, port=port, announce=lambda line: click.echo(line))
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it already handled
        pass
    click.echo("sandbox stopped", err=True)
