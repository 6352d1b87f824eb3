"""Admin API, fault injection, request log, persistence across a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.sandbox.settings import SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN
from test_sandbox_aplus import DOCS, US, create, login, metadata, publish_records, relate, settle, submit, text_doc
from test_sandbox_auth import token_request
from test_sandbox_uploads import destination, png_bytes, s3_post


def add_fault(c: httpx.Client, **fault: Any) -> dict[str, Any]:
    r = c.post("/_sandbox/faults", json=fault)
    assert r.status_code == 201, r.text
    return r.json()


def test_admin_routes_exist_only_with_admin(make_sandbox: Any) -> None:
    sb = make_sandbox(admin=False)
    for method, path in (("GET", "/_sandbox"), ("GET", "/_sandbox/requests"),
                         ("POST", "/_sandbox/faults"), ("POST", "/_sandbox/catalog")):
        r = httpx.request(method, sb.base_url + path, json={})
        assert r.status_code == 404, path
    assert login(sb).get(DOCS, params={"marketplaceId": US}).status_code == 200


def test_fault_for_next_n_calls(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    key = create(c)
    add_fault(c, operation="getContentDocument", kind="503", count=2)
    add_fault(c, operation="searchContentDocuments", kind="500", count=1)
    codes = [c.get(f"{DOCS}/{key}", params={"marketplaceId": US, "includedDataSet": "METADATA"}).status_code
             for _ in range(3)]
    assert codes == [503, 503, 200]
    r = c.get(DOCS, params={"marketplaceId": US})
    assert r.status_code == 500
    assert r.json()["errors"][0] == {"code": "InternalFailure",
                                     "message": "We encountered an internal error. Please try again."}
    assert r.headers["x-amzn-RequestId"]
    assert c.get(DOCS, params={"marketplaceId": US}).status_code == 200
    assert c.get("/_sandbox/faults").json()["faults"] == []


def test_fault_429_drop_and_slow(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    add_fault(c, operation="*", kind="429", count=1)
    r = c.get(DOCS, params={"marketplaceId": US})
    assert r.status_code == 429 and r.json()["errors"][0]["code"] == "QuotaExceeded"
    add_fault(c, operation="searchContentDocuments", kind="drop", count=1)
    with pytest.raises(httpx.TransportError):
        httpx.get(sandbox.base_url + DOCS, params={"marketplaceId": US}, headers=dict(c.headers))
    add_fault(c, operation="searchContentDocuments", kind="slow", delay_ms=400, count=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(sandbox.base_url + DOCS, params={"marketplaceId": US}, headers=dict(c.headers), timeout=0.1)
    assert c.get(DOCS, params={"marketplaceId": US}).status_code == 200
    log = c.get("/_sandbox/requests", params={"operation": "searchContentDocuments"}).json()["requests"]
    assert [e["status"] for e in log][:3] == [429, 0, 200]  # the slow call logs when it ends


def test_fault_rate_and_clear(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    c.post("/_sandbox/ratelimits", json={"rate_scale": 0})
    add_fault(c, operation="searchContentDocuments", kind="500", rate=0.5)
    codes = [c.get(DOCS, params={"marketplaceId": US}).status_code for _ in range(60)]
    assert 5 < codes.count(500) < 55 and codes.count(200) + codes.count(500) == 60
    assert c.delete("/_sandbox/faults").status_code == 200
    assert {c.get(DOCS, params={"marketplaceId": US}).status_code for _ in range(5)} == {200}
    for bad in ({"kind": "teapot"}, {"kind": "500", "rate": 2}, {"kind": "500", "count": 0}):
        assert c.post("/_sandbox/faults", json=bad).status_code == 400


def test_request_log_never_holds_a_secret(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    data = png_bytes()
    payload = destination(c, data)
    assert s3_post(payload["url"], data).status_code == 204
    create(c)
    r = c.get("/_sandbox/requests")
    entries = r.json()["requests"]
    ops = [e["operation"] for e in entries]
    assert ops == ["lwa:token", "createUploadDestinationForResource", "s3:PostObject", "createContentDocument"]
    assert all(set(e) == {"time", "method", "path", "operation", "status", "requestId"} for e in entries)
    text = r.text
    signature = dict(httpx.URL(payload["url"]).params)["x-amz-signature"]
    token = c.headers["x-amz-access-token"]
    for secret in (SANDBOX_CLIENT_SECRET, SANDBOX_REFRESH_TOKEN, token, signature, "policy"):
        assert secret not in text


def test_state_survives_a_restart(make_sandbox: Any, tmp_path: Path) -> None:
    db = tmp_path / "persist.sqlite"
    first = make_sandbox(db=db)
    c = login(first)
    data = png_bytes()
    upload_id = destination(c, data)["uploadDestinationId"]
    key = create(c)
    relate(c, key, ["B000000001"])
    submit(c, key)
    settle(c)
    before = metadata(c, key)
    page = c.get(DOCS, params={"marketplaceId": US}).json()
    token = c.headers["x-amz-access-token"]
    first.stop()

    second = make_sandbox(db=db)
    c2 = httpx.Client(base_url=second.base_url, headers={"x-amz-access-token": token})
    assert c2.get(DOCS, params={"marketplaceId": US}).json() == page  # the old token still works
    assert metadata(c2, key) == before
    assert [r["contentReferenceKey"] for r in publish_records(c2, "B000000001")] == [key]
    assert second.state.store.get_upload(upload_id) is not None


def test_submission_pending_across_restart_is_decided_after(make_sandbox: Any, tmp_path: Path) -> None:
    db = tmp_path / "pending.sqlite"
    first = make_sandbox(db=db, moderation_seconds=0.2)
    c = login(first)
    key = create(c)
    submit(c, key)
    first.stop()
    time.sleep(0.3)
    second = make_sandbox(db=db)
    assert metadata(login(second), key)["status"] == "APPROVED"


def test_latency_is_added(make_sandbox: Any) -> None:
    sb = make_sandbox(latency_ms=300)
    c = login(sb)
    with pytest.raises(httpx.ReadTimeout):
        c.get(DOCS, params={"marketplaceId": US}, timeout=0.1)


def test_drop_after_stores_the_effect_but_loses_the_answer(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    add_fault(c, operation="createContentDocument", kind="drop_after", count=1)
    with pytest.raises(httpx.TransportError):
        httpx.post(sandbox.base_url + DOCS, params={"marketplaceId": US}, json=text_doc("Lost answer"),
                   headers=dict(c.headers))
    names = [m["contentMetadata"]["name"] for m in
             c.get(DOCS, params={"marketplaceId": US}).json()["contentMetadataRecords"]]
    assert names == ["Lost answer"]


def test_faults_reach_lwa_and_the_s3_post(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    add_fault(c, operation="lwa:token", kind="503", count=1)
    r = token_request(sandbox)
    assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
    add_fault(c, operation="lwa:token", kind="drop", count=1)
    with pytest.raises(httpx.TransportError):
        token_request(sandbox)
    assert token_request(sandbox).status_code == 200
    data = png_bytes()
    url = destination(c, data)["url"]
    add_fault(c, operation="s3:PostObject", kind="503", count=1)
    r = s3_post(url, data)
    assert r.status_code == 503 and "<Code>SlowDown</Code>" in r.text
    assert s3_post(url, data).status_code == 204


def test_admin_plants_seller_central_documents_unchecked(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    odd = {"name": "N" * 140, "contentType": "EBC", "locale": "en-US",
           "contentModuleList": [{"contentModuleType": "STANDARD_TEXT",
                                  "standardText": {"body": {"textList": [{"value": ""}]}}}]}
    r = c.post("/_sandbox/documents", json={"marketplace_id": US, "document": odd, "status": "APPROVED",
                                            "asins": ["B000000001"]})
    assert r.status_code == 201, r.text
    key = r.json()["content_reference_key"]
    got = c.get(f"{DOCS}/{key}", params={"marketplaceId": US, "includedDataSet": "CONTENTS,METADATA"}).json()
    assert got["contentRecord"]["contentDocument"] == odd
    assert got["contentRecord"]["contentMetadata"]["status"] == "APPROVED"
    assert [p["contentReferenceKey"] for p in publish_records(c, "B000000001")] == [key]
    # drift made in Seller Central: same key, other content
    r = c.post("/_sandbox/documents", json={"marketplace_id": US, "content_reference_key": key,
                                            "document": {**odd, "name": "Edited"}, "status": "APPROVED"})
    assert r.status_code == 201 and r.json()["content_reference_key"] == key
    assert metadata(c, key)["name"] == "Edited"
    assert c.post("/_sandbox/documents", json={"marketplace_id": US}).status_code == 400
