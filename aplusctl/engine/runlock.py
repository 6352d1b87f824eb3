"""One apply at a time per content repo: `.aplusctl/apply.lock`, held with flock.

Two applies interleaving on one repo would race on aplus.lock and could both create the same
document, so the second one refuses (or waits a little) instead. The kernel drops an flock when
its holder dies, so a lock left behind by a SIGKILLed apply is taken over without guessing from
pids; the pid written inside is only there to tell the user who holds it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from aplusctl.errors import UserError

RUNLOCK_RELPATH = Path(".aplusctl") / "apply.lock"


class RepoBusy(UserError):
    """Another apply holds the repo lock."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        raw = os.read(fd, 64).decode("ascii", "replace").strip()
        return int(raw) if raw else None
    except (OSError, ValueError):
        return None


class RunLock:
    """Exclusive, process-wide lock on a content repo; use as a context manager."""

    def __init__(self, root: Path, wait_seconds: float = 0.0, poll_seconds: float = 0.1) -> None:
        self.path = root / RUNLOCK_RELPATH
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self._fd: int | None = None
        self.took_over_from: int | None = None  # pid of a dead holder whose file we found

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_pid(fd)
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise UserError(f"cannot lock {self.path}: {exc.strerror}") from None
                if time.monotonic() >= deadline:
                    who = f" (pid {holder})" if holder else ""
                    raise RepoBusy(
                        f"another aplusctl apply{who} is running on this repo "
                        f"({RUNLOCK_RELPATH}); wait for it to finish and run apply again"
                    ) from None
                time.sleep(self.poll_seconds)
                continue
            # The holder we waited for may have unlinked the file; lock the one on disk.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            previous = _read_pid(fd)
            if previous is not None and previous != os.getpid() and not _pid_alive(previous):
                self.took_over_from = previous
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            os.fsync(fd)
            self._fd = fd
            return

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
