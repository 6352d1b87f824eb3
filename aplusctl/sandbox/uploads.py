"""Uploads API 2020-11-01 createUploadDestinationForResource, and the S3 presigned POST it hands
out (sp-api-aplus.md §5): policy fields signed by the sandbox, checked on the way in like S3."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from PIL import Image
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aplusctl.marketplaces import lookup
from aplusctl.sandbox.errors import SpApiError, invalid, json_response, s3_error
from aplusctl.sandbox.faults import answer_with_faults
from aplusctl.sandbox.ops import Call, sp_operation
from aplusctl.sandbox.scope import OPERATION_SCOPE_KEY
from aplusctl.sandbox.state import SandboxState
from aplusctl.sandbox.store import Upload

APLUS_RESOURCE = "aplus/2020-11-01/contentDocuments"
BUCKET = "aplus-media"
S3_PATH = "/_s3/aplus-media"
S3_OPERATION = "s3:PostObject"
_EXTENSIONS = {"image/jpeg": "jpg", "image/jpg": "jpg", "image/png": "png", "image/tiff": "tif"}
# Fields the browser-style POST may carry without a policy condition (AWS RESTObjectPOST).
_UNCONDITIONED = {"policy", "x-amz-signature", "file"}


def _sign(secret: bytes, policy_b64: str) -> str:
    return hmac.new(secret, policy_b64.encode(), hashlib.sha256).hexdigest()


def _amz_date(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _presigned_fields(state: SandboxState, key: str, owner: str, now: float) -> dict[str, str]:
    amz_date = _amz_date(now)
    credential = f"SANDBOXAKIA/{amz_date[:8]}/us-east-1/s3/aws4_request"
    expiration = datetime.fromtimestamp(now + state.settings.upload_expiry_seconds, tz=timezone.utc)
    policy = {
        "expiration": expiration.strftime("%Y-%m-%dT%H:%M:%S.") + f"{expiration.microsecond // 1000:03d}Z",
        "conditions": [
            {"bucket": BUCKET},
            {"key": key},
            {"acl": "private"},
            {"x-amz-meta-owner": owner},
            ["content-length-range", 1, state.settings.upload_max_bytes],
            {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
            {"x-amz-credential": credential},
            {"x-amz-date": amz_date},
        ],
    }
    policy_b64 = base64.b64encode(json.dumps(policy, separators=(",", ":")).encode()).decode()
    return {
        "key": key,
        "acl": "private",
        "policy": policy_b64,
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": credential,
        "x-amz-date": amz_date,
        "x-amz-signature": _sign(state.store.secret, policy_b64),
        "x-amz-meta-owner": owner,
    }


def _md5_b64(value: str | None) -> str:
    if not value:
        raise invalid("contentMD5: required query parameter is missing")
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise invalid("contentMD5: must be the base64 encoding of the 16-byte MD5 digest")
    return value


def _own_base_url(request: Request) -> str:
    """Where this server was reached, from the connection, not the caller's Host header: the real
    service hands out the same S3 URL whatever Host it was sent, and python-amazon-sp-api sends
    `endpoint[8:]` as Host (`27.0.0.1:8787` for `http://127.0.0.1:8787`)."""
    server = request.scope.get("server")
    if not server or server[1] is None:
        return str(request.base_url).rstrip("/")
    host = f"[{server[0]}]" if ":" in server[0] else server[0]
    return f"{request.url.scheme}://{host}:{server[1]}"


@sp_operation("createUploadDestinationForResource")
async def create_upload_destination(call: Call) -> Response:
    request = call.request
    resource = request.path_params["resource"]
    raw_path = request.scope.get("raw_path", b"").decode("latin-1")
    if "%2f" in raw_path.lower():  # the real gateway refuses an encoded greedy path
        raise SpApiError("Unauthorized", "The resource path must keep its slashes literal.")
    if resource != APLUS_RESOURCE:
        raise SpApiError("NotFound", f"resource: {resource} is not served by this sandbox")
    marketplaces = [m for v in request.query_params.getlist("marketplaceIds") for m in v.split(",") if m]
    if not marketplaces:
        raise invalid("marketplaceIds: required query parameter is missing")
    if len(marketplaces) > 1:
        raise invalid("marketplaceIds: at most 1 item")
    found = lookup(marketplaces[0])
    if found is None or found.marketplace_id != marketplaces[0]:
        raise invalid(f"marketplaceIds: {marketplaces[0]} is not a valid marketplace identifier")
    md5 = _md5_b64(request.query_params.get("contentMD5"))
    content_type = request.query_params.get("contentType")
    if not content_type:
        raise invalid("contentType: required for A+ content images")
    ext = _EXTENSIONS.get(content_type.lower())
    if ext is None:
        raise invalid(f"contentType: {content_type} is not an image type A+ accepts (JPEG, PNG, TIFF)")
    now = time.time()
    upload_id = f"sc/{uuid.uuid4()}.{ext}"
    state = call.state
    state.store.add_upload(Upload(
        id=upload_id, seller_id=call.seller, marketplace_id=marketplaces[0], md5=md5,
        content_type=content_type.lower(), created=now,
        expires=now + state.settings.upload_expiry_seconds, uploaded_at=None, size=None))
    fields = _presigned_fields(state, upload_id, call.seller, now)
    base = _own_base_url(request)
    url = f"{base}{S3_PATH}?{urlencode(fields)}"
    return json_response({"payload": {"uploadDestinationId": upload_id, "url": url, "headers": None}},
                         status=201)


def _image_header(data: bytes) -> tuple[int | None, int | None, str | None]:
    """Pixel size and format, read from the header only; S3 itself stores any bytes."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.width, image.height, image.format
    except Exception:
        return None, None, None


def _policy_failure(message: str) -> Response:
    return s3_error(403, "AccessDenied", f"Invalid according to Policy: {message}")


def _check_policy(conditions: list[Any], fields: dict[str, str]) -> Response | None:
    named: set[str] = set()
    for cond in conditions:
        if isinstance(cond, dict):
            for name, expected in cond.items():
                named.add(name.lower())
                actual = BUCKET if name == "bucket" else fields.get(name.lower())
                if actual != expected:
                    return _policy_failure(f'Policy Condition failed: ["eq", "${name}", "{expected}"]')
        elif isinstance(cond, list) and len(cond) == 3 and cond[0] in ("eq", "starts-with"):
            name = str(cond[1]).lstrip("$").lower()
            named.add(name)
            actual = fields.get(name, "")
            ok = actual == cond[2] if cond[0] == "eq" else actual.startswith(cond[2])
            if not ok:
                return _policy_failure(f'Policy Condition failed: ["{cond[0]}", "{cond[1]}", "{cond[2]}"]')
    extra = sorted(set(fields) - named - _UNCONDITIONED - {"bucket"})
    if extra:
        return _policy_failure("Extra input fields: " + ", ".join(extra))
    return None


def _length_range(conditions: list[Any]) -> tuple[int, int]:
    for cond in conditions:
        if isinstance(cond, list) and len(cond) == 3 and cond[0] == "content-length-range":
            return int(cond[1]), int(cond[2])
    return 0, 5 * 1024**3


async def _check_form(state: SandboxState, form: Any) -> Response | tuple[dict[str, str], list[Any], bytes]:
    """Fields, signature, expiry and policy conditions; an S3 error or what passed."""
    fields: dict[str, str] = {}
    upload: UploadFile | None = None
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            upload = value
        else:
            fields[name.lower()] = value
    if upload is None:
        return s3_error(400, "InvalidArgument", "POST requires exactly one file upload per request.",
                        ArgumentName="file")
    for required in ("key", "policy", "x-amz-signature", "x-amz-algorithm", "x-amz-credential",
                     "x-amz-date"):
        if not fields.get(required):
            return s3_error(400, "InvalidArgument",
                            f"Bucket POST must contain a field named '{required}'.",
                            ArgumentName=required)
    if not hmac.compare_digest(fields["x-amz-signature"], _sign(state.store.secret, fields["policy"])):
        return s3_error(403, "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you "
                        "provided. Check your key and signing method.")
    try:
        policy = json.loads(base64.b64decode(fields["policy"]))
        expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=timezone.utc)
        conditions = list(policy["conditions"])
    except (ValueError, KeyError, TypeError):
        return s3_error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if expiration.timestamp() <= time.time():
        return _policy_failure("Policy expired.")
    failure = _check_policy(conditions, fields)
    if failure is not None:
        return failure
    return fields, conditions, await upload.read()


async def s3_post(request: Request) -> Response:
    """The presigned multipart POST: 204 like S3, or S3's XML error."""
    state: SandboxState = request.app.state.sandbox
    request.scope[OPERATION_SCOPE_KEY] = S3_OPERATION

    def failed(kind: str) -> Response:
        if kind == "500":
            return s3_error(500, "InternalError", "We encountered an internal error. Please try again.")
        return s3_error(503, "SlowDown", "Please reduce your request rate.")  # S3 has no 429

    return await answer_with_faults(state.faults, S3_OPERATION, request.scope, failed,
                                    lambda: _post_object(request, state))


async def _post_object(request: Request, state: SandboxState) -> Response:
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return s3_error(412, "PreconditionFailed",
                        "Bucket POST must be of the enclosure-type multipart/form-data")
    try:
        form = await request.form(max_files=1, max_fields=50, max_part_size=64 * 1024)
    except Exception:
        return s3_error(400, "MalformedPOSTRequest",
                        "The body of your POST request is not well-formed multipart/form-data.")
    try:
        checked = await _check_form(state, form)
    finally:
        await form.close()
    if isinstance(checked, Response):
        return checked
    fields, conditions, data = checked
    low, high = _length_range(conditions)
    if len(data) < low:
        return s3_error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
                        ProposedSize=str(len(data)), MinSizeAllowed=str(low))
    if len(data) > high:
        return s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                        ProposedSize=str(len(data)), MaxSizeAllowed=str(high))
    record = state.store.get_upload(fields["key"])
    if record is None:
        return s3_error(403, "AccessDenied", "Access Denied")
    digest = hashlib.md5(data).digest()
    if base64.b64encode(digest).decode() != record.md5:
        return s3_error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.",
                        ExpectedDigest=record.md5, CalculatedDigest=base64.b64encode(digest).decode())
    width, height, fmt = _image_header(data)
    state.store.mark_uploaded(record.id, len(data), width, height, fmt)
    base = _own_base_url(request)
    return Response(status_code=204, headers={
        "ETag": f'"{digest.hex()}"',
        "Location": f"{base}{S3_PATH}/{record.id}",
        "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
    })


ROUTES = [
    Route("/uploads/2020-11-01/uploadDestinations/{resource:path}", create_upload_destination,
          methods=["POST"]),
    Route(S3_PATH, s3_post, methods=["POST"]),
    Route(S3_PATH + "/", s3_post, methods=["POST"]),
]
