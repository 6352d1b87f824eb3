"""The sandbox seen through an independent SP-API client: python-amazon-sp-api (saleweaver).

Issue 3's bar is that a third-party client pointed at the sandbox cannot tell it from the real
service on the paths it covers. Every SP-API and LWA call here goes through the library (its
AplusContent and Upload clients, its AccessTokenClient, its exceptions and ApiResponse); httpx is
used directly only for the sandbox admin API and for the S3 multipart POST, which the library
does not do (sp-api-aplus.md §7).

How the library is pointed at the sandbox (sp-api-aplus.md §7 "Pointing it elsewhere"): a
duck-typed marketplace object with .endpoint/.marketplace_id/.region, an AccessTokenClient
subclass with scheme/host class attributes passed as auth_token_client_class=, explicit
credentials, SP_API_DEFAULT_MARKETPLACE and AWS_ENV cleared, and the library's module-wide token
cache replaced per test (it is keyed by the refresh token, and every sandbox accepts the same one).

Library quirks are asserted as they reach the sandbox; where the sandbox answers differently
from what Amazon would (or may), a comment says so.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest
from cachetools import TTLCache
from PIL import Image
from sp_api.api import AplusContent, Upload
from sp_api.auth import AccessTokenClient
from sp_api.auth import access_token_client as lib_token_module
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import (
    ApiResponse,
    SellingApiBadRequestException,
    SellingApiException,
    SellingApiForbiddenException,
    SellingApiNotFoundException,
    SellingApiRequestThrottledException,
)
from sp_api.base.credential_provider import CredentialProvider
from sp_api.util import load_all_pages

from aplusctl.content.samples import sample_modules
from aplusctl.sandbox.errors import BAD_TOKEN
from aplusctl.sandbox.server import EmbeddedSandbox

US = "ATVPDKIKX0DER"
RESOURCE = "aplus/2020-11-01/contentDocuments"
UPLOAD_PATH = "/uploads/2020-11-01/uploadDestinations/" + RESOURCE
ASIN_A, ASIN_B = "B0SANDBX01", "B0SANDBX02"


@dataclass(frozen=True)
class SandboxMarketplace:
    """Stands in for sp_api.base.Marketplaces (the client reads only these three attributes)."""

    endpoint: str
    marketplace_id: str = US
    region: str = "us-east-1"


@dataclass
class Lib:
    """The library's clients for one sandbox, and the requests they put on the wire."""

    sandbox: EmbeddedSandbox
    aplus: AplusContent
    upload: Upload
    token_client: type[AccessTokenClient]
    sent: list[httpx.Request] = field(default_factory=list)

    def last(self, path_part: str) -> httpx.Request:
        return [r for r in self.sent if path_part in r.url.path][-1]


def token_client_for(sb: EmbeddedSandbox) -> type[AccessTokenClient]:
    """The library's own LWA client, aimed at the sandbox's /auth/o2/token (no env var exists)."""
    return type("SandboxAccessTokenClient", (AccessTokenClient,), {
        "scheme": "http://", "host": sb.base_url.removeprefix("http://")})


def credentials_for(sb: EmbeddedSandbox, **override: str) -> dict[str, str]:
    return {"refresh_token": sb.env["SP_API_REFRESH_TOKEN"], "lwa_app_id": sb.env["LWA_APP_ID"],
            "lwa_client_secret": sb.env["LWA_CLIENT_SECRET"], **override}


@pytest.fixture
def connect(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Lib]]:
    """connect(sandbox) → the library's clients pointed at it, in a clean library environment."""
    # SP_API_DEFAULT_MARKETPLACE replaces any marketplace passed in (custom objects included);
    # AWS_ENV=SANDBOX would switch the library's Marketplaces to Amazon's static-mock hosts.
    monkeypatch.delenv("SP_API_DEFAULT_MARKETPLACE", raising=False)
    monkeypatch.delenv("AWS_ENV", raising=False)
    # Module-wide TTLCache keyed by MD5(refresh token), ttl 3200 s whatever expires_in says: a
    # token from an earlier test's (stopped) sandbox would otherwise be reused here.
    monkeypatch.setattr(lib_token_module, "cache", TTLCache(maxsize=10, ttl=3200))
    made: list[Lib] = []

    def make(sb: EmbeddedSandbox, **client_kwargs: Any) -> Lib:
        for name, value in sb.env.items():
            monkeypatch.setenv(name, value)
        mp = SandboxMarketplace(sb.base_url)
        tok = token_client_for(sb)
        kwargs = {"credentials": credentials_for(sb), "auth_token_client_class": tok, **client_kwargs}
        lib = Lib(sb, AplusContent(mp, **kwargs), Upload(mp, **kwargs), tok)
        for client in (lib.aplus, lib.upload):
            client._transport._client.event_hooks["request"] = [lib.sent.append]
        made.append(lib)
        return lib

    yield make
    for lib in made:
        lib.aplus.close()
        lib.upload.close()


def admin(sb: EmbeddedSandbox, method: str, path: str, **body: Any) -> Any:
    r = httpx.request(method, sb.base_url + path, json=body or None, timeout=10)
    assert r.status_code < 300, r.text
    return r.json()


def png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (30, 90, 160)).save(buf, "PNG")
    return buf.getvalue()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def create_destination(lib: Lib, data: bytes) -> dict[str, Any]:
    """createUploadDestinationForResource through the library's request machinery (LWA token,
    headers, error mapping) with a correct contentMD5 — Upload.upload_document itself cannot be
    used, see test_upload_document_md5_is_double_encoded."""
    res = lib.upload._request(UPLOAD_PATH, params={
        "method": "POST", "marketplaceIds": US, "contentMD5": md5_b64(data), "contentType": "image/png"})
    assert isinstance(res, ApiResponse)
    assert res.rate_limit == "10.0"
    return res.payload


def s3_post(url: str, data: bytes) -> httpx.Response:
    """The presigned POST (the library has no helper): query fields as form fields, file last."""
    parts = urlsplit(url)
    return httpx.post(f"{parts.scheme}://{parts.netloc}{parts.path}", data=dict(parse_qsl(parts.query)),
                      files={"file": ("image.png", data, "image/png")}, timeout=10)


def uploader(lib: Lib) -> Callable[[int, int], str]:
    """(width, height) → the uploadDestinationId of a real, uploaded PNG of that size."""
    done: dict[tuple[int, int], str] = {}

    def image_id(w: int, h: int) -> str:
        if (w, h) not in done:
            data = png(w, h)
            dest = create_destination(lib, data)
            assert dest["uploadDestinationId"].startswith("sc/")
            r = s3_post(dest["url"], data)
            assert r.status_code == 204, r.text
            done[(w, h)] = dest["uploadDestinationId"]
        return done[(w, h)]

    return image_id


def text_module(text: str) -> dict[str, Any]:
    return {"contentModuleType": "STANDARD_TEXT", "standardText": {
        "headline": {"value": "Why Northpeak"}, "body": {"textList": [{"value": text}]}}}


def document(name: str, modules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"contentDocument": {"name": name, "contentType": "EBC", "locale": "en-US",
                                "contentModuleList": modules}}


def status_of(lib: Lib, key: str) -> str:
    res = lib.aplus.get_content_document(key, marketplaceId=US, includedDataSet="METADATA")
    return res.payload["contentRecord"]["contentMetadata"]["status"]


# --- LWA ------------------------------------------------------------------------------------------


def test_lwa_exchange_through_the_library_token_client(sandbox: EmbeddedSandbox,
                                                       connect: Callable[..., Lib]) -> None:
    lib = connect(sandbox)
    creds = CredentialProvider(credentials=credentials_for(sandbox)).credentials
    auth = lib.token_client(credentials=creds).get_auth()
    assert auth.access_token.startswith("Atza|")
    assert auth.token_type == "bearer"
    assert auth.expires_in == 3600
    assert auth.refresh_token == sandbox.env["SP_API_REFRESH_TOKEN"]
    # Cached by refresh token: a second client reuses it, and SP-API accepts it.
    assert lib.token_client(credentials=creds).get_auth().access_token == auth.access_token
    assert lib.aplus.headers["x-amz-access-token"] == auth.access_token
    lib.aplus.search_content_documents(marketplaceId=US)
    assert len(admin(sandbox, "GET", "/_sandbox/requests?operation=lwa:token")["requests"]) == 1

    # OAuth errors surface as the library's AuthorizationError with LWA's error/status.
    with pytest.raises(AuthorizationError) as bad_grant:
        lib.token_client(refresh_token="Atzr|not-this-sandbox's", credentials=creds).get_auth()
    assert (bad_grant.value.error_code, bad_grant.value.status_code) == ("invalid_grant", 400)
    wrong_secret = CredentialProvider(credentials=credentials_for(
        sandbox, refresh_token="Atzr|other-key-for-the-cache", lwa_client_secret="nope")).credentials
    with pytest.raises(AuthorizationError) as bad_client:
        lib.token_client(credentials=wrong_secret).get_auth()
    assert (bad_client.value.error_code, bad_client.value.status_code) == ("invalid_client", 401)


def test_bad_or_expired_token_is_the_library_forbidden_exception(sandbox: EmbeddedSandbox,
                                                                 connect: Callable[..., Lib]) -> None:
    # The library sends an RDT in place of the access token when given one: a handy bad token.
    lib = connect(sandbox, restricted_data_token="Atza|revoked-or-made-up")
    with pytest.raises(SellingApiForbiddenException) as err:
        lib.aplus.search_content_documents(marketplaceId=US)
    assert err.value.code == 403
    assert err.value.amzn_code == "Unauthorized"
    assert err.value.error[0]["details"] == BAD_TOKEN
    assert err.value.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "x-amzn-RateLimit-Limit" not in err.value.headers  # never on unauthorised answers
    assert err.value.headers["x-amzn-RequestId"]

    good = connect(sandbox)
    good.aplus.search_content_documents(marketplaceId=US)
    admin(sandbox, "POST", "/_sandbox/tokens/expire")
    # The library does not refresh on 403: its cache ignores expires_in (ttl 3200 s), so an
    # expired token keeps failing until the cache entry goes — as it would against Amazon.
    with pytest.raises(SellingApiForbiddenException):
        good.aplus.search_content_documents(marketplaceId=US)
    lib_token_module.cache.clear()
    assert good.aplus.search_content_documents(marketplaceId=US).payload["contentMetadataRecords"] == []


# --- usage plans ----------------------------------------------------------------------------------


def test_throttling_is_the_library_throttled_exception(sandbox: EmbeddedSandbox,
                                                       connect: Callable[..., Lib]) -> None:
    lib = connect(sandbox)
    admin(sandbox, "POST", "/_sandbox/faults", operation="searchContentDocuments", kind="429", count=1)
    with pytest.raises(SellingApiRequestThrottledException) as err:
        lib.aplus.search_content_documents(marketplaceId=US)
    assert (err.value.code, err.value.amzn_code) == (429, "QuotaExceeded")
    assert err.value.message == "You exceeded your quota for the requested resource."
    assert "x-amzn-RateLimit-Limit" not in err.value.headers
    assert lib.aplus.search_content_documents(marketplaceId=US).rate_limit == "10.0"

    # A real burst: rate 10 / burst 10 per operation and seller. AplusContent methods carry no
    # retry decorator, so the 429 reaches the caller.
    admin(sandbox, "POST", "/_sandbox/ratelimits/reset")
    ok = 0
    with pytest.raises(SellingApiRequestThrottledException) as burst:
        for _ in range(40):
            lib.aplus.search_content_publish_records(marketplaceId=US, asin=ASIN_A)
            ok += 1
    assert 10 <= ok < 40
    assert burst.value.amzn_code == "QuotaExceeded"


# --- the A+ lifecycle -----------------------------------------------------------------------------


def test_upload_document_md5_is_double_encoded(sandbox: EmbeddedSandbox,
                                               connect: Callable[..., Lib]) -> None:
    """Upload.upload_document URL-quotes the base64 MD5 and httpx encodes it again, so the
    service receives `...%3D%3D`. The sandbox checks contentMD5 (issue 3: it is compared with the
    uploaded file) and answers 400 InvalidInput naming it. Difference: Amazon may not check A+
    contentMD5 at all (sp-api-aplus.md §5, unconfirmed), in which case it would give this call a
    201. The destination is therefore made through the library's _request (create_destination)."""
    lib = connect(sandbox)
    data = png(300, 300)
    with pytest.raises(SellingApiBadRequestException) as err:
        lib.upload.upload_document(RESOURCE, io.BytesIO(data), content_type="image/png")
    sent = lib.last("/uploadDestinations/")
    assert "%252B" in str(sent.url) or "%253D" in str(sent.url)  # the double encoding
    assert sent.url.path == UPLOAD_PATH  # the greedy resource keeps literal slashes
    assert err.value.amzn_code == "InvalidInput"
    assert err.value.error[0]["details"].startswith("contentMD5:")


def test_document_lifecycle_through_the_library(sandbox: EmbeddedSandbox,
                                                connect: Callable[..., Lib]) -> None:
    lib = connect(sandbox)
    modules = sample_modules(uploader(lib))[:4] + [text_module("Plain words about boots.")]
    body = document("Northpeak boots", modules)

    # create → DRAFT
    created = lib.aplus.create_content_document(marketplaceId=US, body=body)
    key = created.payload["contentReferenceKey"]
    assert created.payload["warnings"] == []
    assert created.rate_limit == "10.0"
    assert created.headers["x-amzn-RequestId"]

    # get with includedDataSet (csv, as the model says)
    got = lib.aplus.get_content_document(key, marketplaceId=US, includedDataSet="CONTENTS,METADATA")
    record = got.payload["contentRecord"]
    assert record["contentReferenceKey"] == key
    assert record["contentDocument"] == body["contentDocument"]
    assert record["contentMetadata"]["status"] == "DRAFT"
    assert record["contentMetadata"]["badgeSet"] == ["STANDARD"]
    only_meta = lib.aplus.get_content_document(key, marketplaceId=US, includedDataSet="METADATA")
    assert "contentDocument" not in only_meta.payload["contentRecord"]
    with pytest.raises(SellingApiBadRequestException):
        lib.aplus.get_content_document(key, marketplaceId=US)  # includedDataSet is required
    with pytest.raises(SellingApiNotFoundException) as missing:
        lib.aplus.get_content_document("00000000-0000-4000-8000-000000000000",
                                       marketplaceId=US, includedDataSet="METADATA")
    assert missing.value.amzn_code == "NotFound"

    # update: new content, DRAFT again, updateTime moves
    before = record["contentMetadata"]["updateTime"]
    body2 = document("Northpeak boots v2", modules + [text_module("More plain words.")])
    assert lib.aplus.update_content_document(key, marketplaceId=US, body=body2).payload[
        "contentReferenceKey"] == key
    meta = lib.aplus.get_content_document(key, marketplaceId=US, includedDataSet="CONTENTS,METADATA")
    assert meta.payload["contentRecord"]["contentDocument"]["name"] == "Northpeak boots v2"
    assert meta.payload["contentRecord"]["contentMetadata"]["updateTime"] != before

    # ASIN relations: asinSet in the body; list with asinSet as csv "A,B"
    posted = lib.aplus.post_content_document_asin_relations(
        key, marketplaceId=US, body={"asinSet": [ASIN_A, ASIN_B]})
    assert posted.payload["warnings"] == []
    listed = lib.aplus.list_content_document_asin_relations(
        key, marketplaceId=US, includedDataSet="METADATA", asinSet=f"{ASIN_A},{ASIN_B}")
    items = {i["asin"]: i for i in listed.payload["asinMetadataSet"]}
    assert set(items) == {ASIN_A, ASIN_B}
    assert items[ASIN_A]["badgeSet"] == ["CONTENT_NOT_PUBLISHED"]
    assert items[ASIN_A]["contentReferenceKeySet"] == [key]
    assert listed.next_token is None
    sent = parse_qs(lib.last("/asins").url.query.decode())
    assert sent["asinSet"] == [f"{ASIN_A},{ASIN_B}"]
    only_b = lib.aplus.list_content_document_asin_relations(key, marketplaceId=US, asinSet=ASIN_B)
    assert only_b.payload["asinMetadataSet"] == [{"asin": ASIN_B}]

    # approval: the library also sends a stray body {"marketplaceIds": [...], "MarketplaceIds": [...]}
    # next to the real marketplaceId query; the operation has no body, and it is ignored.
    approval = lib.aplus.post_content_document_approval_submission(key, marketplaceId=US)
    assert approval.payload["warnings"] == []
    stray = lib.last("/approvalSubmissions")
    assert parse_qs(stray.url.query.decode()) == {"marketplaceId": [US]}
    assert b'"MarketplaceIds"' in stray.content
    assert status_of(lib, key) in ("SUBMITTED", "APPROVED")
    deadline = time.monotonic() + 10
    while status_of(lib, key) != "APPROVED":
        assert time.monotonic() < deadline, "moderation never approved the document"
        time.sleep(0.05)

    # publish records for each related ASIN (locale spelled en_US, as the guide's example shows)
    for asin in (ASIN_A, ASIN_B):
        records = lib.aplus.search_content_publish_records(marketplaceId=US, asin=asin)
        assert [(r["contentReferenceKey"], r["asin"], r["marketplaceId"], r["locale"])
                for r in records.payload["publishRecordList"]] == [(key, asin, US, "en_US")]
    published = lib.aplus.list_content_document_asin_relations(key, marketplaceId=US,
                                                               includedDataSet="METADATA")
    assert all(i["badgeSet"] == ["CONTENT_PUBLISHED"] for i in published.payload["asinMetadataSet"])

    # suspend: the library puts its kwargs in the JSON body, so marketplaceId never reaches the
    # query. The model makes marketplaceId a required query parameter; the sandbox answers 400
    # InvalidInput naming it, as the real service answers a missing required parameter.
    with pytest.raises(SellingApiBadRequestException) as no_mp:
        lib.aplus.post_content_document_suspend_submission(key, marketplaceId=US)
    assert no_mp.value.error[0]["details"] == "marketplaceId: required query parameter is missing"
    assert lib.last("/suspendSubmissions").url.query == b""
    # The workaround a library user has: its generic _request with the query in params.
    suspended = lib.aplus._request(f"/aplus/2020-11-01/contentDocuments/{key}/suspendSubmissions",
                                   params={"method": "POST", "marketplaceId": US})
    assert suspended.payload["warnings"] == []
    for asin in (ASIN_A, ASIN_B):
        assert lib.aplus.search_content_publish_records(
            marketplaceId=US, asin=asin).payload["publishRecordList"] == []
    # Suspending keeps the document and its relations.
    kept = lib.aplus.list_content_document_asin_relations(key, marketplaceId=US)
    assert {i["asin"] for i in kept.payload["asinMetadataSet"]} == {ASIN_A, ASIN_B}


def test_validate_with_errors_raises_the_generic_exception(sandbox: EmbeddedSandbox,
                                                           connect: Callable[..., Lib]) -> None:
    """validateContentDocumentAsinRelations answers 200 with `errors`; the library raises on any
    non-empty `errors`, mapping HTTP 200 to the base SellingApiException (code 999)."""
    lib = connect(sandbox)
    clean = document("Clean", [text_module("Plain words about boots.")])
    res = lib.aplus.validate_content_document_asin_relations(
        marketplaceId=US, asinSet=f"{ASIN_A},{ASIN_B}", body=clean)
    assert isinstance(res, ApiResponse)
    assert res.errors == [] and res.payload == {"warnings": []}
    assert parse_qs(lib.last("/contentAsinValidations").url.query.decode()) == {
        "marketplaceId": [US], "asinSet": [f"{ASIN_A},{ASIN_B}"]}

    bad = document("Pushy", [text_module("Buy now, while stocks last.")])
    with pytest.raises(SellingApiException) as err:
        lib.aplus.validate_content_document_asin_relations(marketplaceId=US, asinSet=ASIN_A, body=bad)
    assert type(err.value) is SellingApiException
    assert err.value.code == 999
    assert err.value.amzn_code == "CONTENT_FAILED_VALIDATION"
    assert err.value.headers["x-amzn-RateLimit-Limit"] == "10.0"  # a 200, with the header

    never_uploaded = document("Ghost image", sample_modules("sc/00000000-0000-4000-8000-000000000000.png")[:1])
    with pytest.raises(SellingApiException) as ghost:
        lib.aplus.validate_content_document_asin_relations(marketplaceId=US, body=never_uploaded)
    assert type(ghost.value) is SellingApiException
    assert {e["code"] for e in ghost.value.error} == {"CONTENT_FAILED_VALIDATION"}

    # A body outside the model's limits is a real 400, the library's BadRequest.
    with pytest.raises(SellingApiBadRequestException) as too_long:
        lib.aplus.create_content_document(marketplaceId=US, body=document("x" * 101, [text_module("ok")]))
    assert "contentDocument.name" in too_long.value.error[0]["details"]


def test_search_pagination_with_page_token(make_sandbox: Callable[..., EmbeddedSandbox],
                                           connect: Callable[..., Lib]) -> None:
    sb = make_sandbox(page_size=2)
    lib = connect(sb)
    keys = {lib.aplus.create_content_document(marketplaceId=US, body=document(
        f"Doc {i}", [text_module("Plain words.")])).payload["contentReferenceKey"] for i in range(5)}

    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs = {"pageToken": token} if token else {}
        res = lib.aplus.search_content_documents(marketplaceId=US, **kwargs)
        pages += 1
        seen += [r["contentReferenceKey"] for r in res.payload["contentMetadataRecords"]]
        token = res.next_token  # ApiResponse picks up nextPageToken
        if token is None:
            break
    assert pages == 3 and sorted(seen) == sorted(keys) and len(seen) == 5

    # load_all_pages works once told A+ calls the parameter pageToken (its default is NextToken,
    # which the service ignores: the same first page would come back forever).
    @load_all_pages(next_token_param="pageToken", throttle_by_seconds=0)
    def all_pages(**kwargs: Any) -> ApiResponse:
        return lib.aplus.search_content_documents(**kwargs)

    collected = [r["contentReferenceKey"] for page in all_pages(marketplaceId=US)
                 for r in page.payload["contentMetadataRecords"]]
    assert sorted(collected) == sorted(keys)

    # An altered token is InvalidInput.
    with pytest.raises(SellingApiBadRequestException) as err:
        lib.aplus.search_content_documents(marketplaceId=US, pageToken="bm90LWEtdG9rZW4")
    assert err.value.error[0]["details"].startswith("pageToken:")


# --- what else the library puts on the wire -------------------------------------------------------


def test_library_wire_quirks_are_tolerated_like_amazon(sandbox: EmbeddedSandbox,
                                                       connect: Callable[..., Lib],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    lib = connect(sandbox)
    key = lib.aplus.create_content_document(marketplaceId=US, body=document(
        "Quirks", [text_module("Plain words.")])).payload["contentReferenceKey"]

    # GETs carry four stray marketplace parameters next to marketplaceId; unknown query
    # parameters are ignored, as Amazon ignores them (the library is used against A+ this way).
    lib.aplus.search_content_documents(marketplaceId=US)
    query = parse_qs(lib.last("/contentDocuments").url.query.decode())
    assert query == {
        "marketplaceId": [US], "MarketplaceId": [US], "MarketplaceIds": [US],
        "marketplace_ids": [US], "marketplaceIds": [US]}

    # A list asinSet becomes repeated parameters. The model says csv and users report needing
    # "A,B" (sp-api-aplus.md §8.8); the sandbox accepts both spellings — more lenient than
    # Amazon may be, never stricter.
    lib.aplus.post_content_document_asin_relations(key, marketplaceId=US, body={"asinSet": [ASIN_A, ASIN_B]})
    listed = lib.aplus.list_content_document_asin_relations(key, marketplaceId=US, asinSet=[ASIN_A, ASIN_B])
    assert parse_qs(lib.last("/asins").url.query.decode())["asinSet"] == [ASIN_A, ASIN_B]
    assert {i["asin"] for i in listed.payload["asinMetadataSet"]} == {ASIN_A, ASIN_B}

    # Host is endpoint[8:], which for an http:// endpoint cuts a character of the host. Against
    # Amazon (https) it is always right. The sandbox does not route on Host (a difference nobody
    # using Amazon's hosts can observe), and the presigned upload URL it hands out comes from the
    # address the connection reached, not from Host — as Amazon's URL never depends on Host.
    port = sandbox.base_url.rsplit(":", 1)[1]
    assert lib.last("/contentDocuments").headers["host"] == f"27.0.0.1:{port}"
    assert lib.last("/contentDocuments").headers["user-agent"].startswith("python-sp-api-")
    data = png(300, 300)
    dest = create_destination(lib, data)
    assert dest["url"].startswith(sandbox.base_url + "/")
    assert dest["headers"] is None
    assert s3_post(dest["url"], data).status_code == 204

    # Path keys are percent-encoded by the library; a key that is no UUID is simply not found.
    with pytest.raises(SellingApiNotFoundException):
        lib.aplus.get_content_document("not/a key", marketplaceId=US, includedDataSet="METADATA")
    assert lib.last("/contentDocuments/").url.raw_path.startswith(
        b"/aplus/2020-11-01/contentDocuments/not%2Fa%20key")

    # SP_API_DEFAULT_MARKETPLACE overrides the marketplace object passed in — this is why the
    # fixture clears it: the client would silently talk to Amazon's EU host instead.
    monkeypatch.setenv("SP_API_DEFAULT_MARKETPLACE", "DE")
    hijacked = AplusContent(SandboxMarketplace(sandbox.base_url), credentials=credentials_for(sandbox),
                            auth_token_client_class=lib.token_client)
    assert hijacked.endpoint == "https://sellingpartnerapi-eu.amazon.com"
    assert hijacked.marketplace_id == "A1PA6795UKMFR9"
    hijacked.close()
