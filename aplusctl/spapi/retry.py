"""When and how long to wait before trying a call again.

Exponential backoff with full jitter (AWS architecture blog's "full jitter"): spreads retries of
many concurrent callers instead of synchronising them. Bounded in attempts and in total time,
so a dead endpoint fails in bounded time. Retry-After, when a server sends one, wins.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from aplusctl.http_common import parse_retry_after

RETRYABLE_STATUS: frozenset[int] = frozenset({429, 500, 502, 503, 504})
# No HTTP answer came, and another try may get one. Any other httpx error (a malformed URL, an
# unsupported scheme) cannot be cured by retrying and propagates.
TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6  # including the first
    base: float = 0.5  # seconds; the cap of the first backoff
    cap: float = 20.0  # no single wait is longer
    max_total: float = 90.0  # give up when the next wait would pass this, counted from the first try
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.cap)
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return self.rng.uniform(0.0, ceiling)

    def next_wait(self, attempt: int, started: float, now: float, retry_after: float | None = None) -> float | None:
        """The wait before attempt `attempt + 1`, or None when the budget is spent."""
        if attempt >= self.max_attempts:
            return None
        wait = self.backoff(attempt, retry_after)
        if now + wait - started > self.max_total:
            return None
        return wait


@dataclass(frozen=True)
class Outcome:
    """How a retried request ended."""

    response: httpx.Response | None  # the last answer; None when no answer ever came
    failure: str  # why the last try failed ("HTTP 503", "ConnectError"); "" when the answer is final
    attempts: int


OnTry = Callable[[str, float, "httpx.Response | None", int], None]


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    policy: RetryPolicy,
    on_try: OnTry,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Send until an answer is final (not in RETRYABLE_STATUS) or `policy` gives up.

    For requests that are safe to repeat as they are (the LWA exchange, the S3 POST); SP-API
    calls take `SpApiClient._call`, which also minds tokens, usage plans and creates. `on_try`
    gets (status or exception name, start time, answer, attempt) for the call log.
    """
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        t0 = clock()
        retry_after: float | None = None
        response: httpx.Response | None
        try:
            response = await send()
        except TRANSIENT_ERRORS as exc:
            response, failure = None, type(exc).__name__
            on_try(failure, t0, None, attempt)
        else:
            on_try(str(response.status_code), t0, response, attempt)
            if response.status_code not in RETRYABLE_STATUS:
                return Outcome(response, "", attempt)
            failure = f"HTTP {response.status_code}"
            retry_after = parse_retry_after(response.headers.get("retry-after"))
        wait = policy.next_wait(attempt, started, clock(), retry_after)
        if wait is None:
            return Outcome(response, failure, attempt)
        await asyncio.sleep(wait)
