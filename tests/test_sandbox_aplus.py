"""A+ Content operations against a real sandbox over HTTP."""

from __future__ import annotations

import time
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


def get(c: httpx.Client, key: str, mp: str = US, data: str = "METADATA") -> httpx.Response:
    return c.get(f"{DOCS}/{key}", params={"marketplaceId": mp, "includedDataSet": data})


def metadata(c: httpx.Client, key: str, mp: str = US) -> dict[str, Any]:
    r = get(c, key, mp)
    assert r.status_code == 200, r.text
    return r.json()["contentRecord"]["contentMetadata"]


def relate(c: httpx.Client, key: str, asins: list[str], mp: str = US) -> httpx.Response:
    r = c.post(f"{DOCS}/{key}/asins", params={"marketplaceId": mp}, json={"asinSet": asins})
    assert r.status_code == 200, r.text
    return r


def submit(c: httpx.Client, key: str, mp: str = US) -> httpx.Response:
    r = c.post(f"{DOCS}/{key}/approvalSubmissions", params={"marketplaceId": mp})
    assert r.status_code == 200, r.text
    return r


def settle(c: httpx.Client) -> list[str]:
    r = c.post("/_sandbox/moderation/settle")
    assert r.status_code == 200, r.text
    return r.json()["settled"]


def publish_records(c: httpx.Client, asin: str, mp: str = US) -> list[dict[str, Any]]:
    r = c.get("/aplus/2020-11-01/contentPublishRecords", params={"marketplaceId": mp, "asin": asin})
    assert r.status_code == 200, r.text
    return r.json()["publishRecordList"]


def test_get_returns_only_the_requested_data_sets(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    key = create(c)
    only_meta = get(c, key, data="METADATA").json()["contentRecord"]
    assert "contentDocument" not in only_meta and only_meta["contentMetadata"]["name"] == "Doc"
    only_contents = get(c, key, data="CONTENTS").json()["contentRecord"]
    assert "contentMetadata" not in only_contents and only_contents["contentDocument"]["name"] == "Doc"
    # the guide's repeated form works too
    r = c.get(f"{DOCS}/{key}?marketplaceId={US}&includedDataSet=CONTENTS&includedDataSet=METADATA")
    assert set(r.json()["contentRecord"]) == {"contentReferenceKey", "contentMetadata", "contentDocument"}
    for bad in ({"marketplaceId": US}, {"marketplaceId": US, "includedDataSet": "EVERYTHING"}):
        r = c.get(f"{DOCS}/{key}", params=bad)
        assert r.status_code == 400
        assert r.json()["errors"][0]["code"] == "InvalidInput"
        assert "includedDataSet" in r.json()["errors"][0]["details"]


def test_not_found_and_marketplace_scoping(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    key = create(c, mp=US)
    for path_key, mp in (("8b6a4e52-2a4b-4cf0-9f7c-1f1f3f7e0000", US), ("not-a-uuid", US), (key, DE)):
        r = get(c, path_key, mp)
        assert r.status_code == 404
        assert r.json()["errors"][0]["code"] == "NotFound"
        assert r.json()["errors"][0]["message"] == "The requested resource doesn't exist."
        assert r.headers["x-amzn-RequestId"]
    r = c.get(DOCS, params={"marketplaceId": DE})
    assert r.json()["contentMetadataRecords"] == []


def test_marketplace_id_is_required_and_checked(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    for params in ({}, {"marketplaceId": ""}, {"marketplaceId": "NOTAMARKET"}):
        r = c.get(DOCS, params=params)
        assert r.status_code == 400, params
        assert r.json()["errors"][0]["code"] == "InvalidInput"
        assert "marketplaceId" in r.json()["errors"][0]["details"]
        assert r.headers["x-amzn-RateLimit-Limit"] == "10.0"


def test_body_checked_against_the_model_limits_naming_the_field(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    body = text_doc("x" * 101)
    body["contentDocument"]["contentModuleList"][0]["standardText"]["headline"]["value"] = ""
    r = c.post(DOCS, params={"marketplaceId": US}, json=body)
    assert r.status_code == 400
    details = " | ".join(e["details"] for e in r.json()["errors"])
    assert all(e["code"] == "InvalidInput" for e in r.json()["errors"])
    assert "contentDocument.name" in details
    assert "contentDocument.contentModuleList[0].standardText.headline.value" in details
    for raw in (b"", b"{not json", b'{"contentDocument": {"name": "x"}}'):
        r = c.post(DOCS, params={"marketplaceId": US}, content=raw,
                   headers={"content-type": "application/json"})
        assert r.status_code == 400, raw
    r = c.post(DOCS, params={"marketplaceId": US}, json={**text_doc(), "extra": 1})
    assert r.status_code == 400 and "extra" in r.json()["errors"][0]["details"]
    assert c.get(DOCS, params={"marketplaceId": US}).json()["contentMetadataRecords"] == []


def test_update_replaces_content_resets_to_draft_and_moves_update_time(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    key = create(c)
    submit(c, key)
    before = metadata(c, key)
    assert before["status"] == "SUBMITTED"
    r = c.post(f"{DOCS}/{key}", params={"marketplaceId": US}, json=text_doc("Renamed", "New words."))
    assert r.status_code == 200 and r.json()["contentReferenceKey"] == key
    after = get(c, key, data="CONTENTS,METADATA").json()["contentRecord"]
    assert after["contentMetadata"]["status"] == "DRAFT"
    assert after["contentMetadata"]["name"] == "Renamed"
    assert after["contentMetadata"]["updateTime"] > before["updateTime"]
    assert after["contentDocument"]["contentModuleList"][0]["standardText"]["body"]["textList"][0][
        "value"] == "New words."
    r = c.post(f"{DOCS}/8b6a4e52-2a4b-4cf0-9f7c-1f1f3f7e0000", params={"marketplaceId": US}, json=text_doc())
    assert r.status_code == 404


def test_search_paginates_with_opaque_tokens(make_sandbox: Any) -> None:
    sb = make_sandbox(rate_scale=0, page_size=5)
    c = login(sb)
    keys = [create(c, text_doc(f"Doc {i}")) for i in range(12)]
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params = {"marketplaceId": US, **({"pageToken": token} if token else {})}
        body = c.get(DOCS, params=params).json()
        seen += [m["contentReferenceKey"] for m in body["contentMetadataRecords"]]
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            break
    assert seen == keys and pages == 3
    first = c.get(DOCS, params={"marketplaceId": US}).json()["nextPageToken"]
    for bad in (first[:-2] + "zz", "garbage", "MTAwOmFiYw"):
        r = c.get(DOCS, params={"marketplaceId": US, "pageToken": bad})
        assert r.status_code == 400 and "pageToken" in r.json()["errors"][0]["details"]
    # a token is bound to its query: another marketplace refuses it
    r = c.get(DOCS, params={"marketplaceId": DE, "pageToken": first})
    assert r.status_code == 400


def test_asin_relations_replace_list_filter_and_badge(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    r = c.post("/_sandbox/catalog", json={"asins": ["B0NOTFOUND"], "state": "not_found"})
    assert r.status_code == 200
    c.post("/_sandbox/catalog", json={"asins": ["B0OTHERBRD"], "state": "other_brand"})
    key = create(c)
    relate(c, key, ["B000000001", "B000000002"])
    r = relate(c, key, ["B000000002", "B000000003", "B0NOTFOUND", "B0OTHERBRD"])
    assert r.json()["warnings"] == [
        {"code": "ASIN_FAILED_VALIDATION", "message": "The ASIN was not found in the catalog.",
         "details": "B0NOTFOUND"},
        {"code": "ASIN_FAILED_VALIDATION",
         "message": "The ASIN does not belong to your brand, so it cannot take this content.",
         "details": "B0OTHERBRD"},
    ]
    plain = c.get(f"{DOCS}/{key}/asins", params={"marketplaceId": US}).json()
    assert plain["asinMetadataSet"] == [{"asin": a} for a in
                                        ("B000000002", "B000000003", "B0NOTFOUND", "B0OTHERBRD")]
    meta = c.get(f"{DOCS}/{key}/asins", params={"marketplaceId": US, "includedDataSet": "METADATA",
                                                  "asinSet": "B0NOTFOUND,B0OTHERBRD,B000000002"}).json()
    badges = {m["asin"]: m["badgeSet"] for m in meta["asinMetadataSet"]}
    assert badges == {"B000000002": ["CONTENT_NOT_PUBLISHED"], "B0NOTFOUND": ["CATALOG_NOT_FOUND"],
                      "B0OTHERBRD": ["BRAND_NOT_ELIGIBLE"]}
    assert all(m["contentReferenceKeySet"] == [key] for m in meta["asinMetadataSet"])
    r = c.post(f"{DOCS}/{key}/asins", params={"marketplaceId": US}, json={"asinSet": ["SHORT"]})
    assert r.status_code == 400 and "asinSet" in r.json()["errors"][0]["details"]
    r = c.post(f"{DOCS}/{key}/asins", params={"marketplaceId": US},
               json={"asinSet": ["B000000002", "B000000002"]})
    assert r.status_code == 400


def test_relations_paginate(make_sandbox: Any) -> None:
    sb = make_sandbox(page_size=3)
    c = login(sb)
    key = create(c)
    asins = [f"B00000000{i}" for i in range(8)]
    relate(c, key, asins)
    got: list[str] = []
    params: dict[str, str] = {"marketplaceId": US, "includedDataSet": "METADATA"}
    while True:
        body = c.get(f"{DOCS}/{key}/asins", params=params).json()
        got += [m["asin"] for m in body["asinMetadataSet"]]
        if "nextPageToken" not in body:
            break
        params["pageToken"] = body["nextPageToken"]
    assert got == asins


def test_validate_reports_prohibited_terms_unknown_images_and_asins(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    c.post("/_sandbox/catalog", json={"asins": ["B0OTHERBRD"], "state": "other_brand"})
    url = "/aplus/2020-11-01/contentAsinValidations"
    r = c.post(url, params={"marketplaceId": US, "asinSet": "B000000001"}, json=text_doc())
    assert r.status_code == 200 and r.json() == {"warnings": [], "errors": []}
    body = text_doc(text="FREE SHIPPING on the #1 blender!")
    body["contentDocument"]["contentModuleList"].append({
        "contentModuleType": "STANDARD_SINGLE_SIDE_IMAGE",
        "standardSingleSideImage": {"imagePositionType": "LEFT", "block": {"image": {
            "uploadDestinationId": "sc/never-uploaded.png", "altText": "alt",
            "imageCropSpecification": {"size": {"width": {"value": 300, "units": "pixels"},
                                                "height": {"value": 300, "units": "pixels"}}}}}}})
    r = c.post(url, params={"marketplaceId": US, "asinSet": "B000000001,B0OTHERBRD"}, json=body)
    assert r.status_code == 200
    errors = r.json()["errors"]
    assert errors[0] == {
        "code": "CONTENT_FAILED_VALIDATION",
        "message": "These keywords violate our community guidelines: #1, free shipping.",
        "details": "contentModuleList[0].standardText.body.textList[0].value"}
    assert errors[1]["code"] == "CONTENT_FAILED_VALIDATION" and "sc/never-uploaded.png" in errors[1]["message"]
    assert errors[2] == {"code": "ASIN_FAILED_VALIDATION", "details": "B0OTHERBRD",
                         "message": "The ASIN does not belong to your brand, so it cannot take this content."}
    # nothing was stored
    assert c.get(DOCS, params={"marketplaceId": US}).json()["contentMetadataRecords"] == []
    # an image that was never uploaded cannot be used in a stored document either
    r = c.post(DOCS, params={"marketplaceId": US}, json=body)
    assert r.status_code == 400 and "uploadDestinationId" in r.json()["errors"][0]["details"]


def test_moderation_approves_and_publish_records_replace_another_document(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    old = create(c, text_doc("Old"))
    relate(c, old, ["B000000001", "B000000002"])
    submit(c, old)
    assert settle(c) == [old]
    assert metadata(c, old)["status"] == "APPROVED"
    assert [r["contentReferenceKey"] for r in publish_records(c, "B000000001")] == [old]
    assert publish_records(c, "B000000001")[0] == {
        "marketplaceId": US, "locale": "en_US", "asin": "B000000001", "contentType": "EBC",
        "contentReferenceKey": old}

    new = create(c, text_doc("New"))
    relate(c, new, ["B000000002", "B000000003"])
    submit(c, new)
    settle(c)
    assert [r["contentReferenceKey"] for r in publish_records(c, "B000000001")] == [old]
    assert [r["contentReferenceKey"] for r in publish_records(c, "B000000002")] == [new]
    assert [r["contentReferenceKey"] for r in publish_records(c, "B000000003")] == [new]
    # another locale on the same ASIN is its own record
    es = create(c, text_doc("Spanish", locale="es-US"))
    relate(c, es, ["B000000002"])
    submit(c, es)
    settle(c)
    assert {(r["locale"], r["contentReferenceKey"]) for r in publish_records(c, "B000000002")} == {
        ("en_US", new), ("es_US", es)}
    meta = c.get(f"{DOCS}/{old}/asins", params={"marketplaceId": US, "includedDataSet": "METADATA"}).json()
    badges = {m["asin"]: m["badgeSet"] for m in meta["asinMetadataSet"]}
    assert badges == {"B000000001": ["CONTENT_PUBLISHED"], "B000000002": ["CONTENT_NOT_PUBLISHED"]}


def test_moderation_rejects_prohibited_terms_with_reasons_as_warnings(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    key = create(c, text_doc(text="Buy now, it's cheap!"))
    relate(c, key, ["B000000001"])
    submit(c, key)
    settle(c)
    r = get(c, key)
    assert r.json()["contentRecord"]["contentMetadata"]["status"] == "REJECTED"
    assert r.json()["warnings"] == [{
        "code": "CONTENT_FAILED_VALIDATION",
        "message": "These keywords violate our community guidelines: buy now, cheap.",
        "details": "contentModuleList[0].standardText.body.textList[0].value"}]
    assert publish_records(c, "B000000001") == []


def test_moderation_outcome_can_be_forced(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    clean, dirty = create(c), create(c, text_doc(text="cheap"))
    r = c.post("/_sandbox/moderation", json={"content_reference_key": clean, "outcome": "REJECTED",
                                             "reasons": ["Image quality too low."]})
    assert r.status_code == 200
    c.post("/_sandbox/moderation", json={"outcome": "APPROVED"})  # every other document
    submit(c, clean)
    submit(c, dirty)
    settle(c)
    assert metadata(c, clean)["status"] == "REJECTED"
    assert get(c, clean).json()["warnings"][0]["message"] == "Image quality too low."
    assert metadata(c, dirty)["status"] == "APPROVED"


def test_moderation_happens_after_moderation_seconds_without_admin_help(make_sandbox: Any) -> None:
    sb = make_sandbox(moderation_seconds=0.3)
    c = login(sb)
    key = create(c)
    relate(c, key, ["B000000009"])
    r = submit(c, key)
    assert r.json() == {"warnings": []}
    assert metadata(c, key)["status"] == "SUBMITTED"
    deadline = time.monotonic() + 10
    while metadata(c, key)["status"] == "SUBMITTED" and time.monotonic() < deadline:
        time.sleep(0.15)
    assert metadata(c, key)["status"] == "APPROVED"
    assert [r["contentReferenceKey"] for r in publish_records(c, "B000000009")] == [key]


def test_approval_warns_about_ineligible_asins(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    c.post("/_sandbox/catalog", json={"asins": ["B0NOTFOUND"], "state": "not_found"})
    key = create(c)
    relate(c, key, ["B000000001", "B0NOTFOUND"])
    r = submit(c, key)
    assert r.json()["warnings"] == [{"code": "ASIN_FAILED_VALIDATION", "details": "B0NOTFOUND",
                                     "message": "The ASIN was not found in the catalog."}]
    settle(c)
    assert publish_records(c, "B0NOTFOUND") == []
    assert len(publish_records(c, "B000000001")) == 1


def test_suspend_removes_records_and_relation_changes_follow(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    key = create(c)
    relate(c, key, ["B000000001", "B000000002"])
    submit(c, key)
    settle(c)
    t0 = metadata(c, key)["updateTime"]
    # removing an ASIN suspends the content from it; adding one to approved content publishes it
    relate(c, key, ["B000000002", "B000000003"])
    t1 = metadata(c, key)["updateTime"]
    assert t1 > t0
    assert publish_records(c, "B000000001") == []
    assert len(publish_records(c, "B000000003")) == 1
    r = c.post(f"{DOCS}/{key}/suspendSubmissions", params={"marketplaceId": US})
    assert r.status_code == 200 and r.json() == {"warnings": []}
    assert publish_records(c, "B000000002") == [] and publish_records(c, "B000000003") == []
    meta = metadata(c, key)
    assert meta["updateTime"] > t1
    assert meta["status"] in ("APPROVED", "DRAFT", "REJECTED", "SUBMITTED")  # the model's enum only
    badges = c.get(f"{DOCS}/{key}/asins", params={"marketplaceId": US, "includedDataSet": "METADATA"}).json()
    assert {m["badgeSet"][0] for m in badges["asinMetadataSet"]} == {"CONTENT_NOT_PUBLISHED"}


def test_publish_records_need_a_valid_asin(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    for params in ({"marketplaceId": US}, {"marketplaceId": US, "asin": "B0SHORT"}):
        r = c.get("/aplus/2020-11-01/contentPublishRecords", params=params)
        assert r.status_code == 400 and "asin" in r.json()["errors"][0]["details"]
    assert publish_records(c, "B000000001") == []


def test_validate_applies_the_guides_stricter_limits(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    body = text_doc(text="x" * 5001)  # STANDARD_TEXT body: 5000 characters
    module = body["contentDocument"]["contentModuleList"][0]
    body["contentDocument"]["contentModuleList"] = [module] * 8  # EBC: 7 modules
    r = c.post("/aplus/2020-11-01/contentAsinValidations", params={"marketplaceId": US}, json=body)
    errors = r.json()["errors"]
    assert errors[0]["details"] == "contentModuleList" and "at most 7 modules" in errors[0]["message"]
    assert errors[1] == {"code": "CONTENT_FAILED_VALIDATION",
                         "message": "The text is 5001 characters long; at most 5000 are allowed.",
                         "details": "contentModuleList[0].standardText.body"}
    assert len(errors) == 9


def test_publish_records_paginate(make_sandbox: Any) -> None:
    sb = make_sandbox(page_size=1, rate_scale=0)
    c = login(sb)
    keys = []
    for locale in ("en-US", "es-US", "fr-US"):
        key = create(c, text_doc(locale, locale=locale))
        relate(c, key, ["B000000001"])
        submit(c, key)
        keys.append(key)
    settle(c)
    got: list[str] = []
    params = {"marketplaceId": US, "asin": "B000000001"}
    while True:
        body = c.get("/aplus/2020-11-01/contentPublishRecords", params=params).json()
        assert len(body["publishRecordList"]) <= 1
        got += [r["contentReferenceKey"] for r in body["publishRecordList"]]
        if "nextPageToken" not in body:
            break
        params["pageToken"] = body["nextPageToken"]
    assert got == keys
    r = c.get("/aplus/2020-11-01/contentPublishRecords",
              params={"marketplaceId": US, "asin": "B000000002", "pageToken": params["pageToken"]})
    assert r.status_code == 400
