"""Everything one sandbox instance holds at run time, reachable as `request.app.state.sandbox`."""

from __future__ import annotations

from dataclasses import dataclass

from aplusctl.sandbox.faults import Faults
from aplusctl.sandbox.lwa import Tokens
from aplusctl.sandbox.ratelimit import RateLimiter
from aplusctl.sandbox.requestlog import RequestLog
from aplusctl.sandbox.settings import SandboxSettings
from aplusctl.sandbox.store import Store


@dataclass
class SandboxState:
    settings: SandboxSettings
    store: Store
    tokens: Tokens
    limiter: RateLimiter
    faults: Faults
    log: RequestLog
    next_due: float | None = None   # earliest SUBMITTED document's decision time, None = none

    @classmethod
    def open(cls, settings: SandboxSettings) -> "SandboxState":
        store = Store(settings.db)
        state = cls(
            settings=settings,
            store=store,
            tokens=Tokens(store, settings.token_ttl),
            limiter=RateLimiter(settings.rate_scale),
            faults=Faults(),
            log=RequestLog(settings.request_log_size),
        )
        state.next_due = store.next_due()
        return state

    def close(self) -> None:
        self.store.close()
