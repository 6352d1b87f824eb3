"""createUploadDestinationForResource and the presigned S3 POST."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from PIL import Image

from aplusctl.sandbox.server import EmbeddedSandbox
from test_sandbox_aplus import DOCS, US, login, text_doc

RESOURCE = "/uploads/2020-11-01/uploadDestinations/aplus/2020-11-01/contentDocuments"


def png_bytes(w: int = 300, h: int = 300) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def destination(c: httpx.Client, data: bytes, content_type: str = "image/png") -> dict[str, Any]:
    r = c.post(RESOURCE, params={"marketplaceIds": US, "contentMD5": md5_b64(data), "contentType": content_type})
    assert r.status_code == 201, r.text
    assert r.headers["x-amzn-RateLimit-Limit"] == "10.0"
    return r.json()["payload"]


def s3_post(url: str, data: bytes, tweak: dict[str, str | None] | None = None) -> httpx.Response:
    """What a client does with the URL: POST its query fields as a multipart form, file last."""
    parts = urlsplit(url)
    fields = dict(parse_qsl(parts.query))
    for k, v in (tweak or {}).items():
        if v is None:
            fields.pop(k, None)
        else:
            fields[k] = v
    target = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return httpx.post(target, data=fields, files={"file": ("image.png", data, "image/png")})


def image_module(upload_id: str) -> dict[str, Any]:
    return {"contentModuleType": "STANDARD_SINGLE_SIDE_IMAGE", "standardSingleSideImage": {
        "imagePositionType": "LEFT", "block": {"image": {
            "uploadDestinationId": upload_id, "altText": "A red square",
            "imageCropSpecification": {"size": {"width": {"value": 300, "units": "pixels"},
                                                "height": {"value": 300, "units": "pixels"}}}}}}}


def test_upload_then_use_in_a_document(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    data = png_bytes()
    payload = destination(c, data)
    upload_id = payload["uploadDestinationId"]
    assert upload_id.startswith("sc/") and upload_id.endswith(".png")
    url = payload["url"]
    assert url.startswith(sandbox.base_url + "/_s3/aplus-media?")
    fields = dict(parse_qsl(urlsplit(url).query))
    assert set(fields) == {"key", "acl", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date",
                           "x-amz-signature", "x-amz-meta-owner"}
    assert fields["key"] == upload_id and fields["acl"] == "private"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, 3145728] in policy["conditions"]
    assert policy["expiration"].endswith("Z")

    body = text_doc()
    body["contentDocument"]["contentModuleList"].append(image_module(upload_id))
    r = c.post(DOCS, params={"marketplaceId": US}, json=body)
    assert r.status_code == 400, "not usable before the upload succeeded"

    r = s3_post(url, data)
    assert r.status_code == 204, r.text
    assert r.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    r = c.post(DOCS, params={"marketplaceId": US}, json=body)
    assert r.status_code == 200, r.text
    r = c.post("/aplus/2020-11-01/contentAsinValidations", params={"marketplaceId": US}, json=body)
    assert r.json()["errors"] == []


def test_md5_mismatch_is_bad_digest(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    payload = destination(c, png_bytes())
    r = s3_post(payload["url"], png_bytes(301, 300))
    assert r.status_code == 400
    assert "<Code>BadDigest</Code>" in r.text and r.headers["content-type"].startswith("application/xml")


def test_expired_policy_is_refused(make_sandbox: Any) -> None:
    sb = make_sandbox(upload_expiry_seconds=0.5)
    c = login(sb)
    data = png_bytes()
    payload = destination(c, data)
    time.sleep(0.6)
    r = s3_post(payload["url"], data)
    assert r.status_code == 403
    assert "<Code>AccessDenied</Code>" in r.text and "Policy expired" in r.text


def test_tampered_fields_and_signature(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    data = png_bytes()
    url = destination(c, data)["url"]
    r = s3_post(url, data, {"x-amz-signature": "0" * 64})
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text
    r = s3_post(url, data, {"key": "sc/someone-else.png"})
    assert r.status_code == 403 and "Policy Condition failed" in r.text
    r = s3_post(url, data, {"Content-Type": "image/png"})
    assert r.status_code == 403 and "Extra input fields" in r.text
    r = s3_post(url, data, {"policy": None})
    assert r.status_code == 400 and "InvalidArgument" in r.text
    r = s3_post(url, b"")
    assert r.status_code == 400 and "EntityTooSmall" in r.text
    assert s3_post(url, data).status_code == 204


def test_size_limit(make_sandbox: Any) -> None:
    sb = make_sandbox(upload_max_bytes=1000)
    c = login(sb)
    data = png_bytes(400, 400) + b"\0" * 2000
    r = s3_post(destination(c, data)["url"], data)
    assert r.status_code == 400 and "EntityTooLarge" in r.text


def test_create_destination_checks_its_parameters(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    good = {"marketplaceIds": US, "contentMD5": md5_b64(b"x"), "contentType": "image/png"}
    cases = [
        ({**good, "contentMD5": hashlib.md5(b"x").hexdigest()}, "contentMD5"),
        ({k: v for k, v in good.items() if k != "contentMD5"}, "contentMD5"),
        ({k: v for k, v in good.items() if k != "marketplaceIds"}, "marketplaceIds"),
        ({**good, "marketplaceIds": f"{US},A1PA6795UKMFR9"}, "marketplaceIds"),
        ({**good, "contentType": "application/pdf"}, "contentType"),
    ]
    for params, field in cases:
        r = c.post(RESOURCE, params=params)
        assert r.status_code == 400, params
        assert r.json()["errors"][0]["code"] == "InvalidInput" and field in r.json()["errors"][0]["details"]
    # an encoded greedy path is refused like the real gateway does
    r = c.post("/uploads/2020-11-01/uploadDestinations/aplus%2F2020-11-01%2FcontentDocuments", params=good)
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "Unauthorized"
    r = c.post("/uploads/2020-11-01/uploadDestinations/messaging/v1/orders", params=good)
    assert r.status_code == 404
    r = httpx.post(sandbox.base_url + RESOURCE, params=good)
    assert r.status_code == 403
    assert c.post(RESOURCE, params=good).status_code == 201


def uploaded(c: httpx.Client, data: bytes) -> str:
    payload = destination(c, data)
    assert s3_post(payload["url"], data).status_code == 204
    return payload["uploadDestinationId"]


def test_validate_checks_uploaded_images_against_the_module(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    small = uploaded(c, png_bytes(200, 200))
    not_image = uploaded(c, b"%PDF-1.4 not an image")
    good = uploaded(c, png_bytes(600, 600))
    body = text_doc()
    modules = body["contentDocument"]["contentModuleList"]
    modules += [image_module(small), image_module(not_image), image_module(good)]
    cropped = image_module(good)
    cropped["standardSingleSideImage"]["block"]["image"]["imageCropSpecification"]["offset"] = {
        "x": {"value": 400, "units": "pixels"}, "y": {"value": 0, "units": "pixels"}}
    modules.append(cropped)
    r = c.post("/aplus/2020-11-01/contentAsinValidations", params={"marketplaceId": US}, json=body)
    got = [(e["details"], e["message"]) for e in r.json()["errors"]]
    image = ".standardSingleSideImage.block.image"
    assert got == [
        (f"contentModuleList[1]{image}", "The crop 300x300+0+0 does not fit in the 200x200 image."),
        (f"contentModuleList[2]{image}", f"The file behind {not_image} is not a JPEG, PNG or TIFF image."),
        (f"contentModuleList[4]{image}", "The crop 300x300+400+0 does not fit in the 600x600 image."),
    ]
    small_crop = image_module(small)
    small_crop["standardSingleSideImage"]["block"]["image"]["imageCropSpecification"]["size"] = {
        "width": {"value": 200, "units": "pixels"}, "height": {"value": 200, "units": "pixels"}}
    body["contentDocument"]["contentModuleList"] = [small_crop]
    r = c.post("/aplus/2020-11-01/contentAsinValidations", params={"marketplaceId": US}, json=body)
    assert [e["message"] for e in r.json()["errors"]] == [
        "The image is 200x200 px; this module needs at least 300x300 px."]
