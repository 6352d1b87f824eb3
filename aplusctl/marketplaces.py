"""The SP-API marketplace table: country code, marketplaceId, region, usual locale.

Shared by the content loader (country codes in files), the SP-API client (region endpoints)
and the sandbox. Source: ../shared/reference/sp-api-aplus.md §2. The "usual locale" is the
storefront's main language; files may name another locale the store accepts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Marketplace:
    country: str
    marketplace_id: str
    region: str
    locale: str


MARKETPLACES: tuple[Marketplace, ...] = (
    Marketplace("CA", "A2EUQ1WTGCTBG2", "NA", "en-CA"),
    Marketplace("US", "ATVPDKIKX0DER", "NA", "en-US"),
    Marketplace("MX", "A1AM78C64UM0Y8", "NA", "es-MX"),
    Marketplace("BR", "A2Q3Y263D00KWC", "NA", "pt-BR"),
    Marketplace("IE", "A28R8C7NBKEWEA", "EU", "en-IE"),
    Marketplace("ES", "A1RKKUPIHCS9HS", "EU", "es-ES"),
    Marketplace("UK", "A1F83G8C2ARO7P", "EU", "en-GB"),
    Marketplace("FR", "A13V1IB3VIYZZH", "EU", "fr-FR"),
    Marketplace("BE", "AMEN7PMS3EDWL", "EU", "fr-BE"),
    Marketplace("NL", "A1805IZSGTT6HS", "EU", "nl-NL"),
    Marketplace("DE", "A1PA6795UKMFR9", "EU", "de-DE"),
    Marketplace("IT", "APJ6JRA9NG5V4", "EU", "it-IT"),
    Marketplace("SE", "A2NODRKZP88ZB9", "EU", "sv-SE"),
    Marketplace("ZA", "AE08WJ6YKNBMC", "EU", "en-ZA"),
    Marketplace("PL", "A1C3SOZRARQ6R3", "EU", "pl-PL"),
    Marketplace("EG", "ARBP9OOSHTCHU", "EU", "ar-EG"),
    Marketplace("TR", "A33AVAJ2PDY3EV", "EU", "tr-TR"),
    Marketplace("SA", "A17E79C6D8DWNP", "EU", "ar-SA"),
    Marketplace("AE", "A2VIGQ35RCS4UG", "EU", "en-AE"),
    Marketplace("IN", "A21TJRUUN4KGV", "EU", "en-IN"),
    Marketplace("SG", "A19VAU5U5O7RUS", "FE", "en-SG"),
    Marketplace("AU", "A39IBJ37TRP1C6", "FE", "en-AU"),
    Marketplace("JP", "A1VC38T7YXB528", "FE", "ja-JP"),
)

REGION_ENDPOINTS: dict[str, str] = {
    "NA": "https://sellingpartnerapi-na.amazon.com",
    "EU": "https://sellingpartnerapi-eu.amazon.com",
    "FE": "https://sellingpartnerapi-fe.amazon.com",
}

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"

_BY_COUNTRY = {m.country: m for m in MARKETPLACES}
_BY_COUNTRY["GB"] = _BY_COUNTRY["UK"]  # the 2022 table called it GB
_BY_ID = {m.marketplace_id: m for m in MARKETPLACES}


def lookup(code_or_id: str) -> Marketplace | None:
    """Find a marketplace by country code (US, DE, GB/UK) or by marketplaceId."""
    return _BY_COUNTRY.get(code_or_id.upper()) or _BY_ID.get(code_or_id)


def by_id(marketplace_id: str) -> Marketplace:
    return _BY_ID[marketplace_id]
