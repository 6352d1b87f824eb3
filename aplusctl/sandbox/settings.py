"""How a sandbox instance behaves; shared by the SP-API and Pixii emulators."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The sandbox's own, well-known credentials. They are not secret outside the sandbox, but the
# client treats them exactly like real ones (never printed, never logged).
SANDBOX_CLIENT_ID = "amzn1.application-oa2-client.sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret-5f1e"
SANDBOX_REFRESH_TOKEN = "Atzr|sandbox-refresh-token-9c2d"
SANDBOX_PIXII_KEY = "pk_test_sandbox_7b41"
SANDBOX_SELLER_ID = "A3SANDBOXSELLER"

# Words moderation rejects and validateContentDocumentAsinRelations flags (sp-api-aplus.md §6:
# promotion, calls to buy, shipping, guarantees, unsubstantiated superlatives). Deliberately short.
DEFAULT_PROHIBITED_TERMS: tuple[str, ...] = (
    "free shipping",
    "best seller",
    "best-seller",
    "buy now",
    "add to cart",
    "guarantee",
    "guaranteed",
    "#1",
    "cheap",
)


@dataclass(frozen=True)
class SandboxSettings:
    db: Path
    latency_ms: int = 0
    rate_scale: float = 1.0          # multiplies every usage plan; 0 lifts limits entirely
    moderation_seconds: float = 2.0  # SUBMITTED -> APPROVED/REJECTED after this long
    admin: bool = False              # expose /_sandbox/... admin routes
    token_ttl: int = 3600            # LWA access token lifetime, seconds
    pixii_job_seconds: float = 2.0   # pending -> processing -> completed over this long
    page_size: int = 20
    upload_expiry_seconds: float = 3 * 3600     # presigned S3 POST policy lifetime
    upload_max_bytes: int = 3 * 1024 * 1024     # the policy's content-length-range upper bound
    prohibited_terms: tuple[str, ...] = DEFAULT_PROHIBITED_TERMS
    request_log_size: int = 5000     # newest entries the admin request log keeps
