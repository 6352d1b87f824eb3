"""Every A+ response body the sandbox sends validates against the official model's response
definition (the model is the referee; skipped when ../shared/reference is absent)."""

from __future__ import annotations

import functools
import json
from typing import Any

from jsonschema import Draft4Validator

from aplusctl.sandbox.server import EmbeddedSandbox
from conformance import MODEL_PATH, require_model
from test_sandbox_aplus import DOCS, US, create, login, relate, settle, submit, text_doc
from test_sandbox_uploads import destination, image_module, md5_b64, png_bytes, s3_post


@functools.cache
def _validator(definition: str) -> Draft4Validator:
    definitions = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["definitions"]
    return Draft4Validator({"definitions": definitions, "$ref": f"#/definitions/{definition}"})


def assert_conforms(definition: str, body: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator(definition).iter_errors(body)]
    assert errors == [], (definition, errors)


def test_every_operation_answers_in_the_models_shape(make_sandbox: Any) -> None:
    require_model()
    sb: EmbeddedSandbox = make_sandbox(rate_scale=0, page_size=2)
    c = login(sb)
    c.post("/_sandbox/catalog", json={"asins": ["B0NOTFOUND"], "state": "not_found"})
    data = png_bytes()
    upload_id = destination(c, data)["uploadDestinationId"]
    payload_url = c.post(
        "/uploads/2020-11-01/uploadDestinations/aplus/2020-11-01/contentDocuments",
        params={"marketplaceIds": US, "contentMD5": md5_b64(data), "contentType": "image/png"},
    ).json()["payload"]
    assert s3_post(payload_url["url"], data).status_code == 204
    body = text_doc()
    body["contentDocument"]["contentModuleList"].append(image_module(payload_url["uploadDestinationId"]))
    keys = [create(c, body) for _ in range(3)]
    key = keys[0]
    r = c.post(DOCS, params={"marketplaceId": US}, json=body)
    assert_conforms("PostContentDocumentResponse", r.json())
    r = c.post(f"{DOCS}/{key}", params={"marketplaceId": US}, json=body)
    assert_conforms("PostContentDocumentResponse", r.json())
    r = c.post(f"{DOCS}/{key}/asins", params={"marketplaceId": US},
               json={"asinSet": ["B000000001", "B000000002", "B0NOTFOUND"]})
    assert_conforms("PostContentDocumentAsinRelationsResponse", r.json())
    for params in ({}, {"includedDataSet": "METADATA"}):
        r = c.get(f"{DOCS}/{key}/asins", params={"marketplaceId": US, **params})
        assert_conforms("ListContentDocumentAsinRelationsResponse", r.json())
    r = c.get(DOCS, params={"marketplaceId": US})
    assert "nextPageToken" in r.json()
    assert_conforms("SearchContentDocumentsResponse", r.json())
    r = c.post("/aplus/2020-11-01/contentAsinValidations", params={"marketplaceId": US,
               "asinSet": "B000000001,B0NOTFOUND"}, json=text_doc(text="cheap #1 " + upload_id))
    assert r.json()["errors"]
    assert_conforms("ValidateContentDocumentAsinRelationsResponse", r.json())
    r = submit(c, key)
    assert_conforms("PostContentDocumentApprovalSubmissionResponse", r.json())
    rejected = create(c, text_doc(text="free shipping"))
    submit(c, rejected)
    settle(c)
    for k in (key, rejected):
        r = c.get(f"{DOCS}/{k}", params={"marketplaceId": US, "includedDataSet": "CONTENTS,METADATA"})
        assert_conforms("GetContentDocumentResponse", r.json())
    r = c.get("/aplus/2020-11-01/contentPublishRecords", params={"marketplaceId": US, "asin": "B000000001"})
    assert r.json()["publishRecordList"]
    assert_conforms("SearchContentPublishRecordsResponse", r.json())
    r = c.post(f"{DOCS}/{key}/suspendSubmissions", params={"marketplaceId": US})
    assert_conforms("PostContentDocumentSuspendSubmissionResponse", r.json())
    for bad in (c.get(DOCS), c.get(f"{DOCS}/{keys[1]}", params={"marketplaceId": "A1PA6795UKMFR9",
                                                                 "includedDataSet": "METADATA"})):
        assert_conforms("ErrorList", bad.json())
    relate(c, keys[1], ["B000000001"])
