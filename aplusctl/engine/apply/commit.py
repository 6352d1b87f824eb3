"""aplus.lock saved after every apply step, group-committed."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

from aplusctl.engine.lock import Lock, save_lock


class LockCommitter:
    """Saves aplus.lock after each step without making concurrent steps queue on disk.

    Callers that commit while a save is running share the next save (group commit): every
    change is on disk before its caller goes on, yet N concurrent steps cost far fewer than N
    fsyncs. The snapshot is taken on the event loop, so the writer thread never sees a dict
    that is being changed.
    """

    def __init__(self, root: Path, lock: Lock) -> None:
        self._root = root
        self._lock = lock
        self._mutex = asyncio.Lock()
        self._changes = 0
        self._saved = 0
        self.saves = 0

    async def commit(self) -> None:
        self._changes += 1
        wanted = self._changes
        async with self._mutex:
            if self._saved >= wanted:
                return
            upto = self._changes
            snapshot = copy.deepcopy(self._lock)
            await asyncio.shield(asyncio.to_thread(save_lock, self._root, snapshot))
            self._saved = upto
            self.saves += 1
