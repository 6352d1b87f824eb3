"""Crash safety: `aplusctl apply` SIGKILLed at many points, then run again, converges.

The kill is deterministic: APLUSCTL_TEST_KILL_AFTER_CALLS=k (a test-only hook, see
aplusctl/engine/apply/tripwire.py) makes apply SIGKILL itself right after the k-th SP-API or
upload call returns — the window between "the server did it" and "aplus.lock knows it" that
crash safety is about. Each point gets its own repo copy and sandbox; the runs go in parallel.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from aplusctl.engine.lock import parse_lock
from aplusctl.sandbox.server import EmbeddedSandbox

from test_apply_support import cli, example_repo, live, spawn

# Two documents, six images, one submitted: ~26 calls in all (refresh included).
FILES = ("chef-knife-de.yaml", "knife-care.yaml")
KILL_POINTS = (1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23)


def small_repo(dest: Path) -> Path:
    return example_repo(dest, keep=FILES)


def check_lock(root: Path, sandbox: EmbeddedSandbox) -> None:
    """aplus.lock is whole (never half-written) and names only uploads that really happened."""
    path = root / "aplus.lock"
    if not path.exists():
        return
    lock = parse_lock(path.read_text(encoding="utf-8"))
    ids = {e["upload_destination_id"] for per in lock.uploads.values() for e in per.values()}
    assert sandbox.state.store.uploaded_ids(ids) == ids


def test_sigkill_at_many_points_then_rerun_converges(
    tmp_path: Path, make_sandbox: Callable[..., EmbeddedSandbox]
) -> None:
    cases = []
    for k in KILL_POINTS:
        sandbox = make_sandbox(rate_scale=0)
        root = small_repo(tmp_path / f"repo-{k}")
        cases.append((k, sandbox, root, spawn(root, sandbox, "apply", "--auto-approve", kill_after=k)))
    killed = 0
    for k, sandbox, root, proc in cases:
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        if proc.returncode == -signal.SIGKILL:
            killed += 1
        else:
            assert proc.returncode == 0, (k, out, err)
        check_lock(root, sandbox)
    assert killed >= 10, f"only {killed} runs were killed mid-way"

    for k, sandbox, root, _ in cases:  # re-run in-process: only the killed run needs its own process
        again = cli(root, "apply", "--auto-approve", env=sandbox.env)
        assert again.exit_code == 0, (k, again.output)
        check_lock(root, sandbox)
        docs = live(sandbox)
        assert len(docs) == len(set(docs)) == 2, (k, docs)  # no duplicate, nothing missing
        assert cli(root, "plan", "--detailed-exitcode", env=sandbox.env).exit_code == 0, k
        entries = parse_lock((root / "aplus.lock").read_text()).documents.values()
        assert len(entries) == 2 and all(
            e.get("content_reference_key") and e.get("applied_hash") for e in entries), (k, entries)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_finishes_in_flight_calls_and_exits_130(
    tmp_path: Path, make_sandbox: Callable[..., EmbeddedSandbox], sig: int
) -> None:
    sandbox = make_sandbox(latency_ms=150)
    root = small_repo(tmp_path / "repo")
    proc = spawn(root, sandbox, "apply", "--auto-approve", "--parallelism", "1")
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if ": uploaded " in line:
            proc.send_signal(sig)
            break
    out, err = proc.communicate(timeout=60)
    text = "".join(seen) + out
    assert proc.returncode == 130, (text, err)
    assert "Apply interrupted" in text
    assert "run apply again to finish" in text
    assert "Traceback" not in err
    check_lock(root, sandbox)
    lock = parse_lock((root / "aplus.lock").read_text())
    assert lock.uploads, "the upload that finished was recorded"
    again = cli(root, "apply", "--auto-approve", env=sandbox.env)
    assert again.exit_code == 0, again.output
    assert len(live(sandbox)) == 2


def test_aplus_lock_is_never_half_written(tmp_path: Path, make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    """SIGKILL right after the n-th step line (each step saves aplus.lock): the file is always
    whole JSON naming only real uploads, and the runs together converge."""
    sandbox = make_sandbox(rate_scale=0, latency_ms=20)
    root = small_repo(tmp_path / "repo")
    for steps in (1, 2, 4, 6):
        proc = spawn(root, sandbox, "apply", "--auto-approve", "--parallelism", "1")
        assert proc.stdout is not None
        seen = 0
        for line in proc.stdout:
            if any(word in line for word in (": uploaded ", ": created ", ": related ", ": submitted")):
                seen += 1
                if seen == steps:
                    proc.kill()
                    break
        proc.communicate(timeout=30)
        if (root / "aplus.lock").exists():
            json.loads((root / "aplus.lock").read_text())
            check_lock(root, sandbox)
    final = cli(root, "apply", "--auto-approve", env=sandbox.env)
    assert final.exit_code == 0, final.output
    assert len(live(sandbox)) == 2
    assert cli(root, "plan", "--detailed-exitcode", env=sandbox.env).exit_code == 0
