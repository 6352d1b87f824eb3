"""Fault injection: make chosen operations fail, throttle, drop the connection or stall."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from starlette.responses import Response

from aplusctl.sandbox.scope import DROPPED_SCOPE_KEY, RAW_SEND_SCOPE_KEY

# drop: the connection dies before the operation runs; drop_after: it runs (and its effect is
# stored) but the answer never arrives — the case a client must treat as "outcome unknown".
KINDS = ("500", "503", "429", "drop", "drop_after", "slow")


@dataclass
class Fault:
    id: int
    operation: str            # an operationId, or "*" for every SP-API operation
    kind: str                 # one of KINDS
    rate: float = 1.0         # probability per matching call
    remaining: int | None = None  # fire on at most this many calls, then retire
    delay_ms: int = 2000      # for "slow"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)



def drop_connection(scope: dict[str, Any]) -> None:
    """Abort the TCP connection under this request, as a flaky network would (fault 'drop').

    Reaches uvicorn's per-request cycle through the raw `send` the outer layer kept in the scope.
    """
    scope[DROPPED_SCOPE_KEY] = True
    cycle = getattr(scope.get(RAW_SEND_SCOPE_KEY), "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.abort()
        cycle.disconnected = True  # later sends become no-ops


class Faults:
    def __init__(self, seed: int | None = None) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)

    def add(self, operation: str, kind: str, rate: float = 1.0, count: int | None = None,
            delay_ms: int = 2000) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(next(self._ids), operation, kind, rate, count, delay_ms)
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        self._faults.clear()

    def list(self) -> list[Fault]:
        return list(self._faults)

    def draw(self, operation: str) -> Fault | None:
        """The fault that fires on this call, if any (first match wins)."""
        if not self._faults:
            return None
        for fault in self._faults:
            if fault.operation != operation and not (fault.operation == "*" and ":" not in operation):
                continue  # "*" means every SP-API operation, not LWA or S3
            if fault.rate < 1.0 and self._random.random() >= fault.rate:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return fault
        return None


async def inject(faults: Faults, operation: str, scope: dict[str, Any]) -> Fault | None:
    """Draw this call's fault; stall for 'slow', cut the connection for 'drop'. The caller answers
    500/503/429 in its own dialect and drops after its work for 'drop_after'."""
    fault = faults.draw(operation)
    if fault is None:
        return None
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay_ms / 1000)
    elif fault.kind == "drop":
        drop_connection(scope)
    return fault


async def answer_with_faults(
    faults: Faults,
    operation: str,
    scope: dict[str, Any],
    failed: Callable[[str], Response],
    answer: Callable[[], Awaitable[Response]],
) -> Response:
    """For endpoints outside the SP-API gateway (LWA, the S3 POST): `failed(kind)` answers
    500/503/429 in the endpoint's own dialect; drops and stalls are handled here."""
    fault = await inject(faults, operation, scope)
    if fault is not None and fault.kind == "drop":
        return Response(status_code=500)  # the connection is already cut: never reaches the client
    if fault is not None and fault.kind in ("500", "503", "429"):
        return failed(fault.kind)
    response = await answer()
    if fault is not None and fault.kind == "drop_after":
        drop_connection(scope)
    return response
