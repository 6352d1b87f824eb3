"""Run the sandbox: embedded in a background thread on an ephemeral loopback port (CLI, tests),
or blocking in the foreground (`aplusctl sandbox serve`)."""

from __future__ import annotations

import shlex
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from aplusctl.sandbox.app import Gateway, create_app
from aplusctl.sandbox.settings import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_PIXII_KEY,
    SANDBOX_REFRESH_TOKEN,
    SandboxSettings,
)
from aplusctl.sandbox.state import SandboxState


def client_env(base_url: str) -> dict[str, str]:
    """Everything a client needs to talk to a sandbox at `base_url` (the sandbox's own creds)."""
    return {
        "LWA_APP_ID": SANDBOX_CLIENT_ID,
        "LWA_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "SP_API_REFRESH_TOKEN": SANDBOX_REFRESH_TOKEN,
        "PIXII_API_KEY": SANDBOX_PIXII_KEY,
        "APLUSCTL_SPAPI_ENDPOINT": base_url,
        "APLUSCTL_LWA_ENDPOINT": base_url + "/auth/o2/token",
        "APLUSCTL_PIXII_ENDPOINT": base_url + "/pixii",
    }


def export_lines(env: dict[str, str]) -> list[str]:
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # only the main thread may; we are not it
        pass


class EmbeddedSandbox:
    """`with EmbeddedSandbox(settings) as sb:` → a live sandbox at `sb.base_url` until exit."""

    def __init__(self, settings: SandboxSettings, host: str = "127.0.0.1", port: int = 0) -> None:
        self.settings = settings
        self._host = host
        self._port = port
        self._server: _ThreadServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self.env: dict[str, str] = {}
        self.app: Gateway | None = None

    def start(self) -> "EmbeddedSandbox":
        self.app = create_app(self.settings)
        config = uvicorn.Config(self.app, host=self._host, port=self._port, log_level="warning",
                                access_log=False, lifespan="on", timeout_graceful_shutdown=2)
        self._server = _ThreadServer(config)
        self._thread = threading.Thread(target=self._server.run, name="aplusctl-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox did not start")
            time.sleep(0.005)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://{self._host}:{port}"
        self.env = client_env(self.base_url)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    @property
    def state(self) -> SandboxState:
        """The running instance's SandboxState (tests may peek; clients must use HTTP)."""
        if self.app is None:
            raise RuntimeError("the sandbox is not running")
        return self.app.state

    def __enter__(self) -> "EmbeddedSandbox":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve(settings: SandboxSettings, host: str = "127.0.0.1", port: int = 8787,
          announce: Callable[[str], object] = print) -> None:
    """Serve in the foreground until Ctrl-C; `announce` gets the base URL and export lines."""
    app = create_app(settings)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)

    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=sockets)
        if server.started:
            bound = server.servers[0].sockets[0].getsockname()[1]
            shown_host = f"[{host}]" if ":" in host else host
            base_url = f"http://{shown_host}:{bound}"
            announce(f"# aplusctl sandbox listening on {base_url}")
            for line in export_lines(client_env(base_url)):
                announce(line)

    server.startup = startup  # type: ignore[method-assign]
    server.run()
