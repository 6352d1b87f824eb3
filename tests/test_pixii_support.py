"""A real Pixii emulator on 127.0.0.1:0 for the Pixii tests (no tests of its own).

Served exactly as the sandbox mounts it (at /pixii of a Starlette app, on uvicorn), so the URLs,
root paths and signed asset links are the ones users see.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from aplusctl.sandbox.pixii import create_pixii_app
from aplusctl.sandbox.settings import SANDBOX_PIXII_KEY, SandboxSettings

KEY = SANDBOX_PIXII_KEY
AUTH = {"Authorization": f"Bearer {KEY}"}


@dataclass
class PixiiServer:
    """One uvicorn server in a thread; `restart()` serves a fresh app on the same database."""

    settings: SandboxSettings
    base_url: str = ""
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _app: Starlette | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return self.base_url + "/pixii"

    def start(self) -> PixiiServer:
        self._app = create_pixii_app(self.settings)
        root = Starlette(routes=[Mount("/pixii", self._app)])
        config = uvicorn.Config(root, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the Pixii emulator did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        if self._app is not None:
            self._app.state.pixii_store.close()
        self._server = self._thread = self._app = None

    def restart(self) -> None:
        self.stop()
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


@pytest.fixture
def pixii_server(tmp_path: Path) -> Iterator[PixiiServer]:
    settings = SandboxSettings(db=tmp_path / "sandbox.db", admin=True, pixii_job_seconds=0.2)
    server = PixiiServer(settings).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def no_admin_server(tmp_path: Path) -> Iterator[PixiiServer]:
    settings = SandboxSettings(db=tmp_path / "sandbox.db", admin=False, pixii_job_seconds=0.2)
    server = PixiiServer(replace(settings)).start()
    try:
        yield server
    finally:
        server.stop()
