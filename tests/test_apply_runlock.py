"""The repo-level apply lock: exclusive across processes, survives SIGKILL, names its holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aplusctl.engine.runlock import RUNLOCK_RELPATH, RepoBusy, RunLock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from aplusctl.engine.runlock import RunLock
    lock = RunLock(Path(sys.argv[1]))
    lock.acquire()
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
    lock.release()
    """
)


def _hold(root: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_holder_refuses_and_names_the_pid(tmp_path: Path) -> None:
    proc = _hold(tmp_path, 30)
    try:
        with pytest.raises(RepoBusy) as info:
            RunLock(tmp_path).acquire()
        assert f"pid {proc.pid}" in str(info.value)
    finally:
        proc.kill()
        proc.wait()


def test_sigkilled_holder_is_taken_over(tmp_path: Path) -> None:
    proc = _hold(tmp_path, 30)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (tmp_path / RUNLOCK_RELPATH).read_text().strip() == str(proc.pid)
    with RunLock(tmp_path) as lock:
        assert lock.took_over_from == proc.pid
        assert (tmp_path / RUNLOCK_RELPATH).read_text().strip() == str(os.getpid())
    assert not (tmp_path / RUNLOCK_RELPATH).exists()


def test_waiter_gets_the_lock_when_the_holder_finishes(tmp_path: Path) -> None:
    proc = _hold(tmp_path, 0.3)
    try:
        with RunLock(tmp_path, wait_seconds=20, poll_seconds=0.02) as lock:
            assert lock.held
        assert proc.wait() == 0
    finally:
        proc.kill()


def test_lock_is_reentrant_free_and_released(tmp_path: Path) -> None:
    first = RunLock(tmp_path)
    first.acquire()
    with pytest.raises(RepoBusy):
        RunLock(tmp_path).acquire()  # flock is per open file, so even this process is refused
    first.release()
    with RunLock(tmp_path):
        pass
