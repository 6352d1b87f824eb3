"""Usage plans: a token bucket per (operation, selling partner), as UP22 describes."""

from __future__ import annotations

import time

# operation -> (rate per second, burst), from the official models
USAGE_PLANS: dict[str, tuple[float, int]] = {
    op: (10.0, 10)
    for op in (
        "searchContentDocuments", "createContentDocument", "getContentDocument",
        "updateContentDocument", "listContentDocumentAsinRelations",
        "postContentDocumentAsinRelations", "validateContentDocumentAsinRelations",
        "searchContentPublishRecords", "postContentDocumentApprovalSubmission",
        "postContentDocumentSuspendSubmission", "createUploadDestinationForResource",
    )
}


class RateLimiter:
    """Buckets start full. `scale` multiplies rate and burst; 0 lifts every limit."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # key -> (tokens, at)

    def limit_header(self, operation: str) -> str:
        """What x-amzn-RateLimit-Limit says: the rate applied (the plan's own when unlimited)."""
        rate = USAGE_PLANS[operation][0]
        return f"{rate * self.scale if self.scale > 0 else rate:.1f}"

    def take(self, operation: str, seller: str) -> bool:
        """Take one token; False when the bucket is empty (the caller answers 429)."""
        if self.scale <= 0:
            return True
        rate, burst = USAGE_PLANS[operation]
        rate *= self.scale
        cap = max(1.0, burst * self.scale)
        now = time.monotonic()
        key = (operation, seller)
        tokens, at = self._buckets.get(key, (cap, now))
        tokens = min(cap, tokens + (now - at) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        return True

    def reset(self) -> None:
        self._buckets.clear()
