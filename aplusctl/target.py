"""Where plan and apply talk to: an endpoint override, the embedded sandbox, or Amazon.

Resolution order:
1. APLUSCTL_SPAPI_ENDPOINT set → that endpoint for every marketplace, credentials from env
   (what `aplusctl sandbox serve` prints; tests and rehearsals use this);
2. `sandbox: true` in aplusctl.yaml → an in-process sandbox on an ephemeral loopback port, state in
   `<root>/.aplusctl/sandbox.sqlite`, its own well-known credentials: works on a fresh machine
   with no credentials at all;
3. otherwise the real regional SP-API endpoint(s) with credentials from env.

`open_target` is an async context manager yielding a Target: an SP-API client (one per region,
routed by marketplaceId when the repo spans regions), the Pixii endpoint and key, and a
description every output names ("sandbox (.aplusctl/sandbox.sqlite)", "SP-API NA (https://…)").
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aplusctl import credentials as creds
from aplusctl import marketplaces as mp
from aplusctl.config import RepoConfig
from aplusctl.engine.client import SpApi
from aplusctl.errors import UserError
from aplusctl.spapi.client import SpApiClient

SANDBOX_DB = ".aplusctl/sandbox.sqlite"


@dataclass
class Target:
    description: str
    client: SpApi                      # SpApiClient, or a RegionRouter over several
    pixii_endpoint: str
    pixii_key: str | None              # None when no key is configured (only generate needs it)
    sandbox_url: str | None = None     # set when the embedded sandbox is running


def describe(config: RepoConfig, env: Mapping[str, str], marketplace_ids: Sequence[str]) -> str:
    """The target's name without opening anything (for messages before a run)."""
    override = env.get(creds.SPAPI_ENDPOINT, "").strip()
    if override:
        return f"SP-API at {override.rstrip('/')} ({creds.SPAPI_ENDPOINT})"
    if config.sandbox:
        return f"sandbox ({SANDBOX_DB})"
    regions = _regions(config, marketplace_ids)
    return " + ".join(f"SP-API {r} ({mp.REGION_ENDPOINTS[r]})" for r in regions)


def _regions(config: RepoConfig, marketplace_ids: Sequence[str]) -> list[str]:
    regions = sorted({mp.by_id(m).region for m in marketplace_ids if mp.lookup(m)})
    return regions or [config.region or "NA"]


@asynccontextmanager
async def open_target(
    root: Path,
    config: RepoConfig,
    marketplace_ids: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    client_factory: Callable[..., Any] | None = None,
) -> AsyncIterator[Target]:
    """Resolve and open the target; everything opened here is closed on exit."""
    env = os.environ if env is None else env
    factory = client_factory or _spapi_client
    override = env.get(creds.SPAPI_ENDPOINT, "").strip()
    if override:
        client = factory(creds.SpApiCredentials.from_env(env), creds.spapi_endpoint("NA", env),
                         creds.lwa_endpoint(env))
        async with client:
            yield Target(describe(config, env, marketplace_ids), client,
                         creds.pixii_endpoint(env), env.get(creds.PIXII_API_KEY) or None)
        return
    if config.sandbox:
        # imported here: the emulators (Starlette, uvicorn) load only when the sandbox is used
        from aplusctl.sandbox.server import EmbeddedSandbox
        from aplusctl.sandbox.settings import SandboxSettings

        db = root / SANDBOX_DB
        db.parent.mkdir(parents=True, exist_ok=True)
        sandbox = EmbeddedSandbox(SandboxSettings(db=db)).start()
        try:
            senv = sandbox.env
            client = factory(creds.SpApiCredentials.from_env(senv), creds.spapi_endpoint("NA", senv),
                             creds.lwa_endpoint(senv))
            async with client:
                yield Target(describe(config, env, marketplace_ids), client,
                             creds.pixii_endpoint(senv), senv.get(creds.PIXII_API_KEY),
                             sandbox_url=sandbox.base_url)
        finally:
            sandbox.stop()
        return
    credentials = creds.SpApiCredentials.from_env(env)
    clients = {
        region: factory(credentials, creds.spapi_endpoint(region, env), creds.lwa_endpoint(env))
        for region in _regions(config, marketplace_ids)
    }
    try:
        client = next(iter(clients.values())) if len(clients) == 1 else RegionRouter(clients)
        yield Target(describe(config, env, marketplace_ids), client,
                     creds.pixii_endpoint(env), env.get(creds.PIXII_API_KEY) or None)
    finally:
        for c in clients.values():
            await c.aclose()


def _spapi_client(credentials: creds.SpApiCredentials, endpoint: str, lwa_endpoint: str
                  ) -> SpApiClient:
    return SpApiClient(credentials, endpoint, lwa_endpoint)


class RegionRouter:
    """One object with the client's methods; each call goes to the client of the region of the
    marketplaceId among its arguments (every A+ and Uploads operation names one)."""

    def __init__(self, clients: Mapping[str, Any]) -> None:
        self._clients = dict(clients)

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            candidates = [kwargs.get("marketplace_id"), *args, *kwargs.values()]
            for value in candidates:
                if isinstance(value, str) and mp.lookup(value) is not None and len(value) > 3:
                    region = mp.by_id(mp.lookup(value).marketplace_id).region  # type: ignore[union-attr]
                    if region in self._clients:
                        return getattr(self._clients[region], name)(*args, **kwargs)
            raise UserError(f"no SP-API region for the call {name}: no known marketplaceId given")

        return call

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
