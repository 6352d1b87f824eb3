"""The admin request log: one line per request, never a header, body or query string."""

from __future__ import annotations

import time
from collections import deque
from typing import Any


class RequestLog:
    def __init__(self, size: int) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)

    def add(self, method: str, path: str, operation: str | None, status: int, request_id: str | None) -> None:
        self._entries.append({
            "time": time.time(), "method": method, "path": path, "operation": operation,
            "status": status, "requestId": request_id,
        })

    def entries(self, operation: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        items = [e for e in self._entries if operation is None or e["operation"] == operation]
        return items[-limit:] if limit else items

    def clear(self) -> None:
        self._entries.clear()
