"""The Uploads API's A+ flavour: destination, presigned S3 POST form, S3 error meanings.

Pure helpers; the client does the I/O. Facts: ../shared/reference/sp-api-aplus.md §5.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aplusctl.redact import url_without_query

# The resource is a greedy path parameter: its slashes stay literal (encoded, Amazon answers 403).
APLUS_RESOURCE = "aplus/2020-11-01/contentDocuments"
UPLOAD_PATH = f"/uploads/2020-11-01/uploadDestinations/{APLUS_RESOURCE}"


@dataclass(frozen=True, repr=False)
class UploadDestination:
    """Where one image goes. `url` is presigned: it must never be printed with its query."""

    upload_destination_id: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"UploadDestination(upload_destination_id={self.upload_destination_id!r}, url={url_without_query(self.url)!r})"

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> UploadDestination:
        return cls(
            upload_destination_id=str(payload["uploadDestinationId"]),
            url=str(payload["url"]),
            headers={str(k): str(v) for k, v in (payload.get("headers") or {}).items()},
        )


def content_md5_b64(data: bytes) -> str:
    """contentMD5 as Amazon's A+ recipe sends it: base64 of the raw 16-byte digest (not hex)."""
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def form_fields(url: str) -> list[tuple[str, str]]:
    """The presigned URL's query parameters, URL-decoded, in order: the POST's form fields."""
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


@dataclass(frozen=True)
class PresignedPost:
    """What to send: the public URL, the form fields (in URL order) and the one file part."""

    url: str
    fields: dict[str, list[str]]
    files: dict[str, tuple[str, bytes, str]]


def presigned_post(destination: UploadDestination, data: bytes, content_type: str, filename: str) -> PresignedPost:
    """httpx writes `data` fields before `files`, so the file part goes last, as S3 requires."""
    fields: dict[str, list[str]] = {}
    for name, value in form_fields(destination.url):
        fields.setdefault(name, []).append(value)
    return PresignedPost(url_without_query(destination.url), fields, {"file": (filename, data, content_type)})


@dataclass(frozen=True)
class S3Error:
    code: str | None
    message: str
    request_id: str | None = None


def parse_s3_error(text: str) -> S3Error:
    """S3 answers `<Error><Code>…</Code><Message>…</Message>…</Error>`; anything else is kept short."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return S3Error(None, " ".join(text.split())[:200] or "no error body")
    code = root.findtext("Code")
    message = root.findtext("Message") or ""
    return S3Error(code, message.strip(), root.findtext("RequestId"))


def explain_s3_error(error: S3Error) -> str:
    """What the S3 error means for an A+ image upload, and what to do about it."""
    code = error.code or ""
    message = error.message
    lowered = message.lower()
    if code in ("BadDigest", "InvalidDigest"):
        return (
            f"the file's MD5 does not match the contentMD5 the upload destination was created with "
            f"(S3 {code}: {message}); the bytes changed after the destination was made — create a new "
            f"destination from the exact bytes being uploaded"
        )
    if code == "EntityTooLarge":
        return f"the file is too large (A+ image uploads allow at most 3 MiB) (S3 {code}: {message})"
    if code == "EntityTooSmall":
        return f"the file is empty (S3 {code}: {message})"
    if code in ("AccessDenied", "ExpiredToken", "RequestTimeTooSkewed") and ("expire" in lowered or code == "ExpiredToken"):
        return (
            f"the upload destination has expired (they are valid for 3 hours); create a new one "
            f"(S3 {code}: {message})"
        )
    if code == "AccessDenied" and "policy" in lowered:
        return f"S3 refused the form against the destination's policy (S3 {code}: {message})"
    if code:
        return f"S3 {code}: {message}"
    return message
