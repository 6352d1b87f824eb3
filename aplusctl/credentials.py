"""Credentials and endpoints from the environment.

Variable names follow python-amazon-sp-api (LWA_APP_ID, LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN)
so a team that already uses it needs no new set-up. The APLUSCTL_*_ENDPOINT overrides are what
`aplusctl sandbox serve` prints. Every secret is registered with `aplusctl.redact` the moment
it is read, so nothing downstream can print it by accident.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from aplusctl.errors import UserError
from aplusctl.marketplaces import LWA_TOKEN_URL, REGION_ENDPOINTS
from aplusctl.redact import register_secret

LWA_APP_ID = "LWA_APP_ID"
LWA_CLIENT_SECRET = "LWA_CLIENT_SECRET"
SP_API_REFRESH_TOKEN = "SP_API_REFRESH_TOKEN"
PIXII_API_KEY = "PIXII_API_KEY"
SPAPI_ENDPOINT = "APLUSCTL_SPAPI_ENDPOINT"
LWA_ENDPOINT = "APLUSCTL_LWA_ENDPOINT"
PIXII_ENDPOINT = "APLUSCTL_PIXII_ENDPOINT"

PIXII_DEFAULT_ENDPOINT = "https://api.pixii.ai"


class MissingCredential(UserError):
    """A required environment variable is unset or empty."""

    def __init__(self, name: str, purpose: str) -> None:
        self.name = name
        super().__init__(
            f"{name} is not set: it is needed for {purpose}. Export it (or run against the "
            f"sandbox: `aplusctl sandbox serve` prints the variables to use)."
        )


@dataclass(frozen=True, repr=False)
class SpApiCredentials:
    """The LWA app and the seller's authorisation of it."""

    client_id: str
    client_secret: str
    refresh_token: str

    def __post_init__(self) -> None:
        register_secret(self.client_secret)
        register_secret(self.refresh_token)

    def __repr__(self) -> str:
        return f"SpApiCredentials(client_id={self.client_id!r}, client_secret=***, refresh_token=***)"

    __str__ = __repr__

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SpApiCredentials:
        env = os.environ if env is None else env
        purpose = "the Selling Partner API (Login with Amazon)"
        return cls(
            client_id=_require(env, LWA_APP_ID, purpose, secret=False),
            client_secret=_require(env, LWA_CLIENT_SECRET, purpose),
            refresh_token=_require(env, SP_API_REFRESH_TOKEN, purpose),
        )


def pixii_api_key(env: Mapping[str, str] | None = None) -> str:
    """The Pixii API key; required only when a document asks Pixii to generate."""
    env = os.environ if env is None else env
    return _require(env, PIXII_API_KEY, "Pixii generation (`generate:` stanzas)")


def spapi_endpoint(region: str, env: Mapping[str, str] | None = None) -> str:
    """The SP-API base URL for a region (NA, EU, FE), unless overridden (the sandbox)."""
    env = os.environ if env is None else env
    override = env.get(SPAPI_ENDPOINT, "").strip()
    if override:
        return override.rstrip("/")
    try:
        return REGION_ENDPOINTS[region.upper()]
    except KeyError:
        regions = ", ".join(REGION_ENDPOINTS)
        raise UserError(f"unknown SP-API region {region!r}: expected one of {regions}") from None


def lwa_endpoint(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get(LWA_ENDPOINT, "").strip() or LWA_TOKEN_URL


def pixii_endpoint(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get(PIXII_ENDPOINT, "").strip() or PIXII_DEFAULT_ENDPOINT).rstrip("/")


def _require(env: Mapping[str, str], name: str, purpose: str, *, secret: bool = True) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise MissingCredential(name, purpose)
    if secret:
        register_secret(value)
    return value
