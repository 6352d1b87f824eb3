"""Two applies on one repo never interleave; no secret ever reaches apply's or status's output."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from aplusctl.cli import main
from aplusctl.engine.runlock import RunLock
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN

from test_apply_support import example_repo, live, spawn


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return example_repo(tmp_path / "repo")


def test_second_apply_refuses_while_the_first_runs(
    root: Path, make_sandbox: Callable[..., EmbeddedSandbox]
) -> None:
    sandbox = make_sandbox(rate_scale=0)
    first = spawn(root, sandbox, "apply", "--auto-approve")
    assert first.stdout is not None
    for line in first.stdout:  # mid-apply: freeze it there, holding the repo lock
        if ": applying (" in line:
            first.send_signal(signal.SIGSTOP)
            break
    try:
        second = spawn(root, sandbox, "apply", "--auto-approve")
        out2, err2 = second.communicate(timeout=60)
    finally:
        first.send_signal(signal.SIGCONT)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, (out1, err1)
    assert second.returncode == 1, (out2, err2)
    assert f"another aplusctl apply (pid {first.pid}) is running" in err2
    docs = live(sandbox)
    assert len(docs) == len(set(docs)) == 5


def test_waiting_apply_runs_after_the_holder(root: Path, sandbox_env: dict[str, str]) -> None:
    holder = RunLock(root)
    holder.acquire()
    busy = CliRunner().invoke(main, ["-C", str(root), "apply", "--auto-approve"])
    assert busy.exit_code == 1 and "another aplusctl apply" in busy.stderr
    holder.release()
    ok = CliRunner().invoke(main, ["-C", str(root), "apply", "--auto-approve", "--lock-timeout", "5"])
    assert ok.exit_code == 0, ok.output
    assert not (root / ".aplusctl" / "apply.lock").exists()


def test_no_secret_in_any_output(root: Path, make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    sandbox = make_sandbox(rate_scale=0)
    outputs = []
    for args in (("-vv", "apply", "--auto-approve", "--wait", "--timeout", "20"),
                 ("-vv", "apply", "--auto-approve", "--format", "json"),
                 ("-vv", "status", "--format", "json")):
        proc = spawn(root, sandbox, *args)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, (args, out, err)
        outputs += [out, err]
    outputs.append((root / "aplus.lock").read_text())
    blob = "\n".join(outputs)
    assert "APPROVED" in blob and "Apply complete" in blob  # the runs really happened
    for secret in (SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, "Atza|", "Atzr|", "x-amz-signature="):
        assert secret not in blob, secret


def test_rejected_credentials_fail_cleanly(root: Path, make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    sandbox = make_sandbox(rate_scale=0)
    env = dict(sandbox.env, LWA_CLIENT_SECRET="not-the-secret-1234", SP_API_REFRESH_TOKEN="Atzr|wrong-token-5678")
    result = CliRunner().invoke(main, ["-C", str(root), "apply", "--auto-approve"], env=env)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "not-the-secret-1234" not in result.output and "wrong-token-5678" not in result.output
    assert live(sandbox) == []
