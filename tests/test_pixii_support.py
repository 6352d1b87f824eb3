"""The Pixii tests' view of a real sandbox (tests/conftest.py's make_sandbox) on 127.0.0.1:0.

No tests of its own: wire helpers (admin calls, raw submissions); the `pixii_server` and
`no_admin_server` fixtures that serve one are in conftest.py. The sandbox mounts the emulator at /pixii exactly as `aplusctl sandbox serve`
does, so URLs, root paths and signed asset links are the ones users see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import SANDBOX_PIXII_KEY

KEY = SANDBOX_PIXII_KEY
AUTH = {"Authorization": f"Bearer {KEY}"}


@dataclass
class PixiiServer:
    """A sandbox; `restart()` stops it and serves a fresh one on the same database."""

    make: Callable[..., EmbeddedSandbox]
    db: Path
    options: dict[str, Any] = field(default_factory=dict)
    sandbox: EmbeddedSandbox | None = None

    @property
    def endpoint(self) -> str:
        assert self.sandbox is not None
        return self.sandbox.env["APLUSCTL_PIXII_ENDPOINT"]

    def start(self) -> PixiiServer:
        self.sandbox = self.make(db=self.db, **self.options)
        return self

    def restart(self) -> None:
        assert self.sandbox is not None
        self.sandbox.stop()
        self.start()

    # --- wire helpers ------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.request(method, f"{self.endpoint}/_sandbox/{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        return self.admin("GET", "state")

    def submit(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(f"{self.endpoint}/v1/api/a_plus", json=body,
                          headers=AUTH if headers is None else headers)

    def job(self, job_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.endpoint}/v1/api/jobs/{job_id}", headers=AUTH)
        assert response.status_code == 200, response.text
        return response.json()


def request_body(*types: str, asin: str = "B0PIXIITST", **extra: Any) -> dict[str, Any]:
    return {"asin": asin, "country_code": "US", "types": list(types or ["A+ Basic"]), **extra}
