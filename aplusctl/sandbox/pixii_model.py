"""What the emulated Pixii A+ endpoint accepts: prices, marketplaces, variants and request checks.

The sandbox keeps its own copy of these facts (rather than importing the client's) so that the
emulator stays an independent witness of the wire contract the client is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

CREDIT_COST: dict[str, int] = {"A+ Basic": 20, "A+ Premium": 20, "A+ Premium Mobile": 30}

COUNTRY_CODES: frozenset[str] = frozenset(
    "AE AU BE BR CA CN DE EG ES FR GB IE IN IT JP MX NL PL SA SE SG TR UK US ZA".split()
)

JOB_TYPE = "A+ Content"


@dataclass(frozen=True)
class VariantSpec:
    slug: str                  # path segment of its asset URLs
    size: tuple[int, int]      # module image width, height
    modules: int


# Basic modules fit STANDARD_IMAGE_TEXT_OVERLAY / STANDARD_HEADER_IMAGE_TEXT (970x600); five of them
# stay within both the seller (7) and vendor (5) module caps. Premium full-width images are
# 1464x600; the mobile set is 600x450.
VARIANTS: dict[str, VariantSpec] = {
    "A+ Basic": VariantSpec("basic", (970, 600), 5),
    "A+ Premium": VariantSpec("premium", (1464, 600), 5),
    "A+ Premium Mobile": VariantSpec("premium-mobile", (600, 450), 5),
}
VARIANT_BY_SLUG: dict[str, str] = {spec.slug: name for name, spec in VARIANTS.items()}

_TYPES_RULE = "must hold 1 to 3 unique values of " + ", ".join(repr(t) for t in CREDIT_COST)


def validate_submission(body: Any) -> str | None:
    """The VALIDATION_ERROR detail for a bad A+ request, or None when it is acceptable."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    asin = body.get("asin")
    if asin is None:
        return "asin is required"
    if not isinstance(asin, str) or not 5 <= len(asin.strip()) <= 15:
        return "asin must be a string of 5 to 15 characters"
    country = body.get("country_code")
    if country is None:
        return "country_code is required"
    if not isinstance(country, str) or country not in COUNTRY_CODES:
        return "country_code must be one of " + " ".join(sorted(COUNTRY_CODES))
    types = body.get("types")
    if types is None:
        return "types is required"
    if (
        not isinstance(types, list)
        or not 1 <= len(types) <= 3
        or any(not isinstance(t, str) or t not in CREDIT_COST for t in types)
        or len(set(types)) != len(types)
    ):
        return "types " + _TYPES_RULE
    main = body.get("main_image_url")
    if main is not None and not _is_url(main):
        return "main_image_url must be a publicly accessible http(s) image URL"
    others = body.get("other_image_urls")
    if others is not None:
        if not isinstance(others, list) or not others:
            return "other_image_urls must contain at least 1 URL when provided"
        if not all(_is_url(url) for url in others):
            return "other_image_urls must be publicly accessible http(s) image URLs"
    prompt = body.get("user_prompt")
    if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
        return "user_prompt cannot be empty if provided"
    return None


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
