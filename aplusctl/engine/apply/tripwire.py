"""The crash-test hook: SIGKILL apply right after its n-th API call returns.

Enabled only by the test-only env var APLUSCTL_TEST_KILL_AFTER_CALLS (see
tests/test_apply_crash.py). Killing after a response and before its effect is recorded is
exactly the window crash safety has to cover. Every client operation counts, reads included.
"""

from __future__ import annotations

import inspect
import os
import signal
from collections.abc import AsyncIterator, Mapping
from typing import Any

KILL_HOOK_ENV = "APLUSCTL_TEST_KILL_AFTER_CALLS"


class CallTripwire:
    """Wraps a client; the n-th call to return kills the process."""

    def __init__(self, client: Any, after_calls: int) -> None:
        self._client = client
        self._left = after_calls

    def _tick(self) -> None:
        self._left -= 1
        if self._left <= 0:
            os.kill(os.getpid(), signal.SIGKILL)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if not callable(target) or name.startswith("_") or name == "aclose":
            return target

        def wrap(*args: Any, **kwargs: Any) -> Any:
            inner = target(*args, **kwargs)
            if hasattr(inner, "__aiter__"):
                async def pages() -> AsyncIterator[Any]:
                    async for item in inner:
                        yield item
                    self._tick()
                return pages()
            if inspect.isawaitable(inner):
                async def call() -> Any:
                    result = await inner
                    self._tick()
                    return result
                return call()
            return inner
        return wrap


def armed(client: Any, env: Mapping[str, str]) -> Any:
    """`client`, wrapped in a CallTripwire when the test hook's variable is set."""
    after = env.get(KILL_HOOK_ENV)
    return CallTripwire(client, int(after)) if after else client
