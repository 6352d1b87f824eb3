"""The confirmation prompt: only 'yes' applies; anything else, or Ctrl-C at the prompt, changes nothing."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aplusctl.credentials import SpApiCredentials
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.spapi.client import SpApiClient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "content"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".aplusctl", "aplus.lock"))
    for path in (root / "content").iterdir():
        if path.name != "knife-care.yaml":
            path.unlink()
    return root


def spawn_on_tty(root: Path, sandbox: EmbeddedSandbox) -> tuple[subprocess.Popen[bytes], int]:
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("APLUSCTL_")}
    env.update(sandbox.env)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from aplusctl.cli import main; main()", "-C", str(root), "apply"],
        env=env, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    os.close(slave)
    return proc, master


def wait_for_prompt(proc: subprocess.Popen[bytes]) -> bytes:
    assert proc.stdout is not None
    seen = b""
    while b"Only 'yes' will be accepted" not in seen:
        chunk = proc.stdout.readline()
        assert chunk, seen
        seen += chunk
    return seen


def count_live(sandbox: EmbeddedSandbox) -> int:
    async def read() -> int:
        creds = SpApiCredentials.from_env(sandbox.env)
        async with SpApiClient(creds, sandbox.base_url, sandbox.env["APLUSCTL_LWA_ENDPOINT"]) as c:
            return len([r async for r in c.search_content_documents("ATVPDKIKX0DER")])

    return asyncio.run(read())


@pytest.mark.parametrize("answer, code, live", [(b"yes\n", 0, 1), (b"no\n", 1, 0)])
def test_prompt(root: Path, make_sandbox: Callable[..., EmbeddedSandbox],
                answer: bytes, code: int, live: int) -> None:
    sandbox = make_sandbox(rate_scale=0)
    proc, master = spawn_on_tty(root, sandbox)
    try:
        wait_for_prompt(proc)
        os.write(master, answer)
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(master)
    assert proc.returncode == code, (out, err)
    assert count_live(sandbox) == live
    if code:
        assert b"Apply cancelled." in err


def test_ctrl_c_at_the_prompt_exits_130_at_once(root: Path, make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    sandbox = make_sandbox(rate_scale=0)
    proc, master = spawn_on_tty(root, sandbox)
    try:
        wait_for_prompt(proc)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        os.close(master)
    assert proc.returncode == 130, (out, err)
    assert b"Traceback" not in err
    assert count_live(sandbox) == 0
    assert not (root / ".aplusctl" / "apply.lock").exists()
