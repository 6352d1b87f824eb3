"""Per-operation token buckets that keep us inside Amazon's usage plans.

Amazon meters each operation with a token bucket (rate per second, burst). Ours mirrors it so
that a burst of calls is smoothed *before* it reaches the server: the server should never have
to answer 429. Two timing edges matter:

- the server's bucket clock runs on arrival times, ours on send times, and arrivals jitter
  (network, a busy event loop, a busy CPU). Right after a burst the server may see two of our
  requests closer together than we sent them. So we hold back `jitter` seconds' worth of the
  plan: our bucket holds `burst - rate × jitter` tokens, which absorbs that much jitter and
  costs `jitter` seconds once per burst. Where the burst is too small to hold anything back
  (burst 1), the refill is slowed instead, so consecutive sends are `1/rate + jitter` apart;
- we refill a hair slower than the plan (`margin`), so rounding and clock skew never add up.

Measured against the sandbox (bench/client_throughput.py): starting with the whole burst
(jitter 0) meets a 429 right after the first burst on every run; holding back one token was
clean alone but met one 429 in ~40 runs on a 2-CPU machine running several suites at once.

A 429 means someone else shares the quota or the plan is lower than we think: the bucket is
emptied and the rate halved (down to a floor), then it recovers additively on each success.
x-amzn-RateLimit-Limit, when present, re-seeds the plan rate.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

A_PLUS_OPERATIONS: tuple[str, ...] = (
    "searchContentDocuments",
    "createContentDocument",
    "getContentDocument",
    "updateContentDocument",
    "listContentDocumentAsinRelations",
    "postContentDocumentAsinRelations",
    "validateContentDocumentAsinRelations",
    "searchContentPublishRecords",
    "postContentDocumentApprovalSubmission",
    "postContentDocumentSuspendSubmission",
)


@dataclass(frozen=True)
class UsagePlan:
    rate: float  # requests per second
    burst: int


# The published models: every A+ operation and createUploadDestinationForResource are 10 / 10.
DEFAULT_USAGE_PLANS: dict[str, UsagePlan] = {
    **{op: UsagePlan(10.0, 10) for op in A_PLUS_OPERATIONS},
    "createUploadDestinationForResource": UsagePlan(10.0, 10),
}
# An operation missing from the table gets the most conservative plan Amazon documents.
FALLBACK_PLAN = UsagePlan(1.0, 1)
# Float dust: after sleeping exactly the computed delay the bucket may hold 0.9999999999 tokens.
_EPSILON = 1e-9


class TokenBucket:
    """One operation's bucket. FIFO: waiters are served in the order they asked."""

    def __init__(
        self,
        plan: UsagePlan,
        *,
        jitter: float = 0.15,
        margin: float = 0.01,
        min_rate_fraction: float = 1 / 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._jitter = jitter
        self._margin = margin
        self._min_rate_fraction = min_rate_fraction
        self._lock = asyncio.Lock()
        self.plan = plan
        self.capacity, self.target_rate = self._shape(plan)
        self.rate = self.target_rate  # current refill rate; below target after a 429
        self._tokens = self.capacity  # start full: the server's bucket is full when idle
        self._stamp = clock()
        self._paused_until = 0.0
        self._last_cut = -math.inf

    def _shape(self, plan: UsagePlan) -> tuple[float, float]:
        """(capacity, refill rate) that stay inside `plan` despite `jitter` seconds of skew."""
        held = min(max(0.0, plan.burst - 1.0), plan.rate * self._jitter)
        uncovered = self._jitter - held / plan.rate
        rate = plan.rate * (1.0 - self._margin) / (1.0 + plan.rate * uncovered)
        return plan.burst - held, rate

    @property
    def tokens(self) -> float:
        self._refill(self._clock())
        return self._tokens

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - max(self._stamp, self._paused_until))
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._stamp = max(now, self._stamp)

    def delay(self) -> float:
        """Seconds until one token is available (0 when it is available now)."""
        now = self._clock()
        self._refill(now)
        pause = max(0.0, self._paused_until - now)
        if self._tokens >= 1.0 - _EPSILON:
            return pause
        return pause + (1.0 - self._tokens) / self.rate

    def try_take(self) -> bool:
        if self.delay() > 0.0:
            return False
        self._tokens -= 1.0
        return True

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                wait = self.delay()
                if wait <= 0.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep(wait)

    def throttled(self, retry_after: float | None = None) -> None:
        """The server said 429: its bucket is empty and our idea of the plan is too generous."""
        now = self._clock()
        self._refill(now)
        self._tokens = min(self._tokens, 0.0)
        # Requests already in flight when the first 429 came will 429 too: one cut per second.
        if now - self._last_cut >= 1.0:
            floor = self.target_rate * self._min_rate_fraction
            self.rate = max(floor, self.rate / 2.0)
            self._last_cut = now
        if retry_after:
            self._paused_until = max(self._paused_until, now + retry_after)

    def succeeded(self) -> None:
        """Additive recovery: back to the full rate after about 2 × burst successes per halving."""
        target = self.target_rate
        if self.rate < target:
            self._refill(self._clock())
            self.rate = min(target, self.rate + target / (2 * max(1, self.plan.burst)))

    def observe_limit(self, rate: float) -> None:
        """x-amzn-RateLimit-Limit says the plan's rate is `rate`: re-seed from it."""
        if not math.isfinite(rate) or rate <= 0 or math.isclose(rate, self.plan.rate):
            return
        old = self.plan
        burst = old.burst
        if rate < old.rate:
            # A lowered plan (Amazon announced 10 → 1 for A+) likely lowered the burst too.
            burst = max(1, min(old.burst, round(old.burst * rate / old.rate)))
        self._refill(self._clock())
        self.plan = UsagePlan(rate, burst)
        self.capacity, self.target_rate = self._shape(self.plan)
        self._tokens = min(self._tokens, self.capacity)
        self.rate = min(self.rate, self.target_rate) if rate < old.rate else self.target_rate


class RateLimiter:
    """The buckets of every operation one client calls; seeded from usage plans."""

    def __init__(
        self,
        usage_plans: Mapping[str, UsagePlan] | None = None,
        *,
        jitter: float = 0.15,
        margin: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._plans = dict(DEFAULT_USAGE_PLANS)
        if usage_plans:
            self._plans.update(usage_plans)
        self._jitter = jitter
        self._margin = margin
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, operation: str) -> TokenBucket:
        bucket = self._buckets.get(operation)
        if bucket is None:
            plan = self._plans.get(operation, FALLBACK_PLAN)
            bucket = TokenBucket(plan, jitter=self._jitter, margin=self._margin, clock=self._clock)
            self._buckets[operation] = bucket
        return bucket


def parse_rate_limit(value: str | None) -> float | None:
    """x-amzn-RateLimit-Limit is a decimal rate such as `10.0`; anything else is ignored."""
    if not value:
        return None
    try:
        rate = float(value.strip())
    except ValueError:
        return None
    return rate if math.isfinite(rate) and rate > 0 else None
