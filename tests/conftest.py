"""Shared fixtures: a real sandbox over HTTP on 127.0.0.1, one per test.

`make_sandbox(**overrides)` starts one with SandboxSettings overrides (tmp db, admin on, fast
moderation and Pixii jobs, real usage plans unless told otherwise); `sandbox` is the default one;
`sandbox_env` also exports its client variables into os.environ for the test; `pixii_server` and
`no_admin_server` wrap one for the Pixii tests (test_pixii_support.PixiiServer: restartable on the
same database, with wire helpers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import SandboxSettings
from test_pixii_support import PixiiServer

TEST_DEFAULTS: dict[str, Any] = {
    "admin": True,
    "moderation_seconds": 0.2,
    "pixii_job_seconds": 0.3,
}


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[Callable[..., EmbeddedSandbox]]:
    """Factory: `make_sandbox(rate_scale=0, db=path)` → a started EmbeddedSandbox (stopped after
    the test). Pass the same `db` to two calls to test persistence across a restart."""
    started: list[EmbeddedSandbox] = []
    counter = iter(range(1_000_000))

    def make(**overrides: Any) -> EmbeddedSandbox:
        fields = {**TEST_DEFAULTS, **overrides}
        fields.setdefault("db", tmp_path / f"sandbox-{next(counter)}.sqlite")
        sandbox = EmbeddedSandbox(SandboxSettings(**fields)).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in reversed(started):
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., EmbeddedSandbox]) -> EmbeddedSandbox:
    return make_sandbox()


@pytest.fixture
def sandbox_env(sandbox: EmbeddedSandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The default sandbox's client variables, set in os.environ for this test."""
    for name, value in sandbox.env.items():
        monkeypatch.setenv(name, value)
    return dict(sandbox.env)


@pytest.fixture
def pixii_server(make_sandbox: Callable[..., EmbeddedSandbox], tmp_path: Path) -> PixiiServer:
    return PixiiServer(make_sandbox, tmp_path / "pixii.sqlite", {"pixii_job_seconds": 0.2}).start()


@pytest.fixture
def no_admin_server(make_sandbox: Callable[..., EmbeddedSandbox], tmp_path: Path) -> PixiiServer:
    return PixiiServer(make_sandbox, tmp_path / "pixii.sqlite",
                       {"pixii_job_seconds": 0.2, "admin": False}).start()
