"""Async SP-API client: LWA, usage-plan limiter, retries, pagination, A+ and Uploads."""

from aplusctl.spapi.client import SpApiClient
from aplusctl.spapi.errors import (
    CreateOutcomeUnknown,
    InvalidInput,
    LwaError,
    NetworkError,
    NotFound,
    ServerError,
    SpApiError,
    Throttled,
    Unauthorized,
    UploadError,
)
from aplusctl.spapi.ratelimit import DEFAULT_USAGE_PLANS, UsagePlan
from aplusctl.spapi.retry import RetryPolicy
from aplusctl.spapi.uploads import UploadDestination, content_md5_b64

__all__ = [
    "DEFAULT_USAGE_PLANS",
    "CreateOutcomeUnknown",
    "InvalidInput",
    "LwaError",
    "NetworkError",
    "NotFound",
    "RetryPolicy",
    "ServerError",
    "SpApiClient",
    "SpApiError",
    "Throttled",
    "Unauthorized",
    "UploadDestination",
    "UploadError",
    "UsagePlan",
    "content_md5_b64",
]
