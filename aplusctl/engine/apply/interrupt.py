"""Ctrl-C and SIGTERM during apply: finish what is in flight, start nothing new."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable


def install_interrupt(stop: asyncio.Event) -> Callable[[], None]:
    """First Ctrl-C (or SIGTERM, which CI runners send on cancel): finish in-flight calls, start
    nothing new. A second one: cancel at once. Returns a function that undoes this."""
    loop = asyncio.get_running_loop()
    presses = {"n": 0}
    main = asyncio.current_task()

    def on_signal() -> None:
        presses["n"] += 1
        stop.set()
        if presses["n"] > 1 and main is not None:
            main.cancel()

    installed: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, etc.
            pass

    def undo() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return undo
