"""A+ Content operations against a real sandbox over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from aplusctl.sandbox.server import EmbeddedSandbox

US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"
DOCS = "/aplus/2020-11-01/contentDocuments"


def login(sb: EmbeddedSandbox) -> httpx.Client:
    """A client holding a fresh LWA token for the sandbox."""
    client = httpx.Client(base_url=sb.base_url, timeout=10)
    r = client.post("/auth/o2/token", data={
        "grant_type": "refresh_token", "refresh_token": sb.env["SP_API_REFRESH_TOKEN"],
        "client_id": sb.env["LWA_APP_ID"], "client_secret": sb.env["LWA_CLIENT_SECRET"]})
    assert r.status_code == 200, r.text
    client.headers["x-amz-access-token"] = r.json()["access_token"]
    return client


def text_doc(name: str = "Doc", text: str = "Plain words.", locale: str = "en-US") -> dict[str, Any]:
    return {"contentDocument": {
        "name": name, "contentType": "EBC", "locale": locale,
        "contentModuleList": [{"contentModuleType": "STANDARD_TEXT", "standardText": {
            "headline": {"value": "Headline"}, "body": {"textList": [{"value": text}]}}}],
    }}


def create(c: httpx.Client, body: dict[str, Any] | None = None, mp: str = US) -> str:
    r = c.post(DOCS, params={"marketplaceId": mp}, json=body or text_doc())
    assert r.status_code == 200, r.text
    return r.json()["contentReferenceKey"]


def test_create_get_search_roundtrip(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    key = create(c, text_doc("First"))
    r = c.get(f"{DOCS}/{key}", params={"marketplaceId": US, "includedDataSet": "CONTENTS,METADATA"})
    assert r.status_code == 200
    assert r.headers["x-amzn-RateLimit-Limit"] == "10.0"
    assert r.headers["x-amzn-RequestId"]
    record = r.json()["contentRecord"]
    assert record["contentReferenceKey"] == key
    assert record["contentMetadata"]["status"] == "DRAFT"
    assert record["contentMetadata"]["badgeSet"] == ["STANDARD"]
    assert record["contentDocument"] == text_doc("First")["contentDocument"]
    r = c.get(DOCS, params={"marketplaceId": US})
    assert [m["contentReferenceKey"] for m in r.json()["contentMetadataRecords"]] == [key]
    assert "nextPageToken" not in r.json()
