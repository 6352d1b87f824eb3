"""When and how long to wait before trying a call again.

Exponential backoff with full jitter (AWS architecture blog's "full jitter"): spreads retries of
many concurrent callers instead of synchronising them. Bounded in attempts and in total time,
so a dead endpoint fails in bounded time. Retry-After, when a server sends one, wins.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass, field

RETRYABLE_STATUS: frozenset[int] = frozenset({429, 500, 502, 503, 504})


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


NO_RETRY = RetryPolicy(max_attempts=1)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if seconds == seconds else None
