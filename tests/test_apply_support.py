"""What the apply and status tests share (no tests of its own): a copy of the example repo, the
CLI in-process or as a subprocess, and the live documents as searchContentDocuments lists them."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from click.testing import CliRunner, Result

from aplusctl.cli import main
from aplusctl.credentials import SpApiCredentials
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.spapi.client import SpApiClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "content"
US, DE = "ATVPDKIKX0DER", "A1PA6795UKMFR9"


def example_repo(dest: Path, keep: Iterable[str] | None = None) -> Path:
    """examples/content copied to `dest` without its sandbox state and aplus.lock; with `keep`,
    only those content files."""
    shutil.copytree(EXAMPLES, dest, ignore=shutil.ignore_patterns(".aplusctl", "aplus.lock"))
    if keep is not None:
        kept = set(keep)
        for path in (dest / "content").iterdir():
            if path.name not in kept:
                path.unlink()
    return dest


def cli(root: Path, *args: str, env: Mapping[str, str] | None = None) -> Result:
    """`aplusctl -C root ARGS` in-process (stdout and stderr apart)."""
    return CliRunner().invoke(main, ["-C", str(root), *args], env=env, catch_exceptions=False)


def spawn(root: Path, sandbox: EmbeddedSandbox, *args: str, kill_after: int | None = None,
          **popen: object) -> subprocess.Popen[str]:
    """`aplusctl -C root ARGS` as a process of its own, talking to `sandbox`; `kill_after=k` arms
    the crash hook (aplusctl/engine/apply/tripwire.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APLUSCTL_")}
    env.update(sandbox.env)
    if kill_after is not None:
        env["APLUSCTL_TEST_KILL_AFTER_CALLS"] = str(kill_after)
    return subprocess.Popen(
        [sys.executable, "-c", "from aplusctl.cli import main; main()", "-C", str(root), *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,  # type: ignore[call-overload]
    )


def live(sandbox: EmbeddedSandbox) -> list[tuple[str, str]]:
    """(marketplaceId, name) of every live document in US and DE, read over the SP-API."""
    async def read() -> list[tuple[str, str]]:
        creds = SpApiCredentials.from_env(sandbox.env)
        async with SpApiClient(creds, sandbox.base_url, sandbox.env["APLUSCTL_LWA_ENDPOINT"]) as c:
            found = []
            for mid in (US, DE):
                found += [(mid, r["contentMetadata"]["name"]) async for r in c.search_content_documents(mid)]
            return sorted(found)

    return asyncio.run(read())
