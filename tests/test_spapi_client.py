"""SpApiClient against a real sandbox over HTTP: auth, retries, limiter, pagination, uploads, logs.

Server-side facts (how many token requests, how many 429s) come from the sandbox's own request
log, never from the client's bookkeeping.
"""

from __future__ import annotations

import asyncio
import io
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from PIL import Image

from aplusctl.credentials import SpApiCredentials
from aplusctl.sandbox.server import EmbeddedSandbox
from aplusctl.spapi import (
    CreateOutcomeUnknown,
    InvalidInput,
    LwaError,
    NetworkError,
    NotFound,
    RetryPolicy,
    ServerError,
    SpApiClient,
    Unauthorized,
    UploadError,
    content_md5_b64,
)

US = "ATVPDKIKX0DER"
T = TypeVar("T")
FAST_RETRY = RetryPolicy(max_attempts=5, base=0.05, cap=0.2, max_total=10.0, rng=random.Random(3))


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def client_for(sb: EmbeddedSandbox, *, retry: RetryPolicy = FAST_RETRY, **kwargs: Any) -> SpApiClient:
    creds = SpApiCredentials.from_env(sb.env)
    return SpApiClient(creds, sb.env["APLUSCTL_SPAPI_ENDPOINT"], sb.env["APLUSCTL_LWA_ENDPOINT"], retry=retry, **kwargs)


def admin(sb: EmbeddedSandbox, method: str, path: str, **kwargs: Any) -> Any:
    response = httpx.request(method, sb.base_url + "/_sandbox" + path, timeout=10, **kwargs)
    assert response.status_code < 300, response.text
    return response.json()


def server_log(sb: EmbeddedSandbox, operation: str | None = None) -> list[dict[str, Any]]:
    params = {"operation": operation} if operation else {}
    return admin(sb, "GET", "/requests", params=params)["requests"]


def token_requests(sb: EmbeddedSandbox) -> list[dict[str, Any]]:
    return [e for e in server_log(sb) if e["path"] == "/auth/o2/token"]


def statuses(sb: EmbeddedSandbox, operation: str) -> list[int]:
    return [e["status"] for e in server_log(sb, operation)]


def text_doc(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "contentType": "EBC",
        "locale": "en-US",
        "contentModuleList": [
            {
                "contentModuleType": "STANDARD_TEXT",
                "standardText": {"headline": {"value": "Headline"}, "body": {"textList": [{"value": "Plain words."}]}},
            }
        ],
    }


def png_bytes(width: int = 300, height: int = 300) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


async def with_client(sb: EmbeddedSandbox, body: Callable[[SpApiClient], Awaitable[T]], **kwargs: Any) -> T:
    async with client_for(sb, **kwargs) as client:
        return await body(client)


# ---- LWA ---------------------------------------------------------------------------------------


def test_one_token_request_serves_many_concurrent_calls(sandbox: EmbeddedSandbox) -> None:
    async def body(client: SpApiClient) -> list[dict[str, Any]]:
        key = await client.create_content_document(US, text_doc("Concurrent"))
        return await asyncio.gather(*(client.get_content_document(key, US) for _ in range(8)))

    records = run(with_client(sandbox, body))
    assert len(records) == 8 and all(r["contentRecord"]["contentDocument"]["name"] == "Concurrent" for r in records)
    assert len(token_requests(sandbox)) == 1


def test_concurrent_first_calls_share_one_refresh(sandbox: EmbeddedSandbox) -> None:
    async def body(client: SpApiClient) -> None:
        await asyncio.gather(*(_drain(client.search_content_documents(US)) for _ in range(9)))

    run(with_client(sandbox, body))
    assert len(token_requests(sandbox)) == 1


def test_token_is_refreshed_shortly_before_expiry(make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    sb = make_sandbox(token_ttl=1)

    async def body(client: SpApiClient) -> None:
        await _drain(client.search_content_documents(US))
        await asyncio.sleep(1.1)
        await _drain(client.search_content_documents(US))

    run(with_client(sb, body))
    assert len(token_requests(sb)) == 2
    assert statuses(sb, "searchContentDocuments") == [200, 200]  # refreshed before, not after, a 403


def test_a_403_for_an_expired_token_is_retried_once_with_a_fresh_token(sandbox: EmbeddedSandbox) -> None:
    async def body(client: SpApiClient) -> None:
        await _drain(client.search_content_documents(US))
        admin(sandbox, "POST", "/tokens/expire")  # the server forgets the token we still cache
        await _drain(client.search_content_documents(US))

    run(with_client(sandbox, body))
    assert statuses(sandbox, "searchContentDocuments") == [200, 403, 200]
    assert len(token_requests(sandbox)) == 2


def test_a_403_that_persists_explains_the_role_and_reauthorisation(sandbox: EmbeddedSandbox) -> None:
    """The gateway refuses an encoded greedy path with 403 whatever the token: one fresh-token retry, then advice."""
    encoded = "/uploads/2020-11-01/uploadDestinations/aplus%2F2020-11-01%2FcontentDocuments"

    async def body(client: SpApiClient) -> None:
        params = {"marketplaceIds": US, "contentMD5": content_md5_b64(b"x"), "contentType": "image/png"}
        await client._call("createUploadDestinationForResource", "POST", encoded, params)

    with pytest.raises(Unauthorized, match="Product Listing") as info:
        run(with_client(sandbox, body))
    assert "authorise the app again" in str(info.value)
    assert statuses(sandbox, "createUploadDestinationForResource") == [403, 403]
    assert len(token_requests(sandbox)) == 2


def test_a_revoked_refresh_token_says_to_reauthorise(sandbox: EmbeddedSandbox) -> None:
    creds = SpApiCredentials(sandbox.env["LWA_APP_ID"], sandbox.env["LWA_CLIENT_SECRET"], "Atzr|revoked-token-0000")

    async def body() -> None:
        async with SpApiClient(creds, sandbox.base_url, sandbox.base_url, retry=FAST_RETRY) as client:
            await client.get_content_document("x", US)

    with pytest.raises(LwaError, match="re-authorise") as info:
        run(body())
    assert "revoked-token-0000" not in str(info.value)


def test_a_wrong_client_secret_names_the_variables_not_their_values(sandbox: EmbeddedSandbox) -> None:
    creds = SpApiCredentials(sandbox.env["LWA_APP_ID"], "wrong-secret-value-1234", sandbox.env["SP_API_REFRESH_TOKEN"])

    async def body() -> None:
        async with SpApiClient(creds, sandbox.base_url, sandbox.env["APLUSCTL_LWA_ENDPOINT"], retry=FAST_RETRY) as client:
            await client.get_content_document("x", US)

    with pytest.raises(LwaError, match="LWA_CLIENT_SECRET") as info:
        run(body())
    assert "wrong-secret-value-1234" not in str(info.value)


# ---- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "503", "429", "drop"])
def test_calls_succeed_through_injected_faults(sandbox: EmbeddedSandbox, kind: str) -> None:
    async def body(client: SpApiClient) -> dict[str, Any]:
        key = await client.create_content_document(US, text_doc("Flaky"))
        admin(sandbox, "POST", "/faults", json={"operation": "getContentDocument", "kind": kind, "count": 2})
        return await client.get_content_document(key, US)

    record = run(with_client(sandbox, body))
    assert record["contentRecord"]["contentDocument"]["name"] == "Flaky"
    seen = statuses(sandbox, "getContentDocument")
    assert seen[-1] == 200 and len(seen) == 3
    assert seen[:2] == ([0, 0] if kind == "drop" else [int(kind)] * 2)


def test_retries_are_bounded_and_end_in_a_typed_error(sandbox: EmbeddedSandbox) -> None:
    admin(sandbox, "POST", "/faults", json={"operation": "searchContentDocuments", "kind": "503"})
    retry = RetryPolicy(max_attempts=3, base=0.01, cap=0.02, rng=random.Random(1))

    async def body(client: SpApiClient) -> None:
        await _drain(client.search_content_documents(US))

    with pytest.raises(ServerError, match="ServiceUnavailable") as info:
        run(with_client(sandbox, body, retry=retry))
    assert info.value.request_id
    assert statuses(sandbox, "searchContentDocuments") == [503, 503, 503]


def test_an_unreachable_endpoint_fails_in_bounded_retries(sandbox: EmbeddedSandbox) -> None:
    creds = SpApiCredentials.from_env(sandbox.env)
    retry = RetryPolicy(max_attempts=3, base=0.01, cap=0.02, rng=random.Random(2))

    async def body() -> None:
        async with SpApiClient(creds, "http://127.0.0.1:1", sandbox.env["APLUSCTL_LWA_ENDPOINT"], retry=retry) as client:
            await client.get_content_document("k", US)

    with pytest.raises(NetworkError, match="after 3 attempts"):
        run(body())


@pytest.mark.parametrize("kind", ["503", "drop"])
def test_the_token_exchange_and_the_s3_post_retry_through_faults(sandbox: EmbeddedSandbox, kind: str) -> None:
    data = png_bytes()
    for operation in ("lwa:token", "s3:PostObject"):
        admin(sandbox, "POST", "/faults", json={"operation": operation, "kind": kind, "count": 2})

    async def body(client: SpApiClient) -> None:
        destination = await client.create_upload_destination(US, content_md5_b64(data), "image/png")
        await client.upload(destination, data, "image/png", "hero.png")

    run(with_client(sandbox, body))
    failed = 0 if kind == "drop" else 503
    assert [e["status"] for e in token_requests(sandbox)] == [failed, failed, 200]
    assert statuses(sandbox, "s3:PostObject") == [failed, failed, 204]


def test_a_token_exchange_that_keeps_failing_ends_in_a_typed_error(sandbox: EmbeddedSandbox) -> None:
    admin(sandbox, "POST", "/faults", json={"operation": "lwa:token", "kind": "503"})
    retry = RetryPolicy(max_attempts=3, base=0.01, cap=0.02, rng=random.Random(4))

    async def body(client: SpApiClient) -> None:
        await _drain(client.search_content_documents(US))

    with pytest.raises(LwaError, match="after 3 attempts") as info:
        run(with_client(sandbox, body, retry=retry))
    assert info.value.status == 503 and info.value.error == "temporarily_unavailable"
    assert [e["status"] for e in token_requests(sandbox)] == [503, 503, 503]


@pytest.mark.parametrize("kind", ["drop_after", "drop", "500"])
def test_a_create_that_may_have_landed_is_never_retried(sandbox: EmbeddedSandbox, kind: str) -> None:
    admin(sandbox, "POST", "/faults", json={"operation": "createContentDocument", "kind": kind, "count": 1})

    async def body(client: SpApiClient) -> list[str]:
        with pytest.raises(CreateOutcomeUnknown, match="look it up by name"):
            await client.create_content_document(US, text_doc("Maybe"))
        return [r["contentMetadata"]["name"] async for r in client.search_content_documents(US)]

    names = run(with_client(sandbox, body))
    assert len(statuses(sandbox, "createContentDocument")) == 1
    assert names == (["Maybe"] if kind == "drop_after" else [])


def test_a_throttled_create_is_retried(sandbox: EmbeddedSandbox) -> None:
    admin(sandbox, "POST", "/faults", json={"operation": "createContentDocument", "kind": "429", "count": 1})

    async def body(client: SpApiClient) -> str:
        return await client.create_content_document(US, text_doc("Throttled once"))

    assert run(with_client(sandbox, body))
    assert statuses(sandbox, "createContentDocument") == [429, 200]


# ---- usage plan --------------------------------------------------------------------------------


def test_a_burst_of_100_calls_never_meets_a_429(make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    sb = make_sandbox()  # the real usage plan: 10 rps, burst 10

    async def body(client: SpApiClient) -> list[dict[str, Any]]:
        key = await client.create_content_document(US, text_doc("Burst"))
        return await asyncio.gather(*(client.get_content_document(key, US, ["METADATA"]) for _ in range(100)))

    records = run(with_client(sb, body, retry=RetryPolicy(max_attempts=1)))
    assert len(records) == 100
    seen = statuses(sb, "getContentDocument")
    assert len(seen) == 100 and seen.count(429) == 0


def test_a_lower_plan_than_documented_is_learned_and_429s_stop(make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    """The server enforces half the documented plan: the first wave may meet 429s, then none."""
    sb = make_sandbox(rate_scale=0.5)

    async def body(client: SpApiClient) -> list[dict[str, Any]]:
        key = await client.create_content_document(US, text_doc("Halved"))
        admin(sb, "DELETE", "/requests")
        return await asyncio.gather(*(client.get_content_document(key, US, ["METADATA"]) for _ in range(30)))

    assert len(run(with_client(sb, body, retry=RetryPolicy(max_attempts=8, base=0.05, cap=0.5)))) == 30
    seen = statuses(sb, "getContentDocument")
    assert seen.count(200) == 30
    assert 429 not in seen[len(seen) // 2 :]


def test_calls_queued_on_one_plan_do_not_starve_other_operations(make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    """40 gets queue on their own bucket (~3 s at 10 rps) while 10 searches have tokens to spare.

    Were the slots taken before the bucket, the queued gets would hold all 4 and every search
    would wait behind ~37 of them. Judged on the order the server saw, not on wall-clock time:
    the server lifts its limits so that no 429 retry reorders anything, while the client still
    paces itself by the documented plan.
    """
    sb = make_sandbox(rate_scale=0)

    async def body(client: SpApiClient) -> None:
        key = await client.create_content_document(US, text_doc("Busy"))
        gets = [client.get_content_document(key, US, ["METADATA"]) for _ in range(40)]
        searches = [_drain(client.search_content_documents(US)) for _ in range(10)]
        await asyncio.gather(*gets, *searches)

    admin(sb, "DELETE", "/requests")
    run(with_client(sb, body, max_concurrency=4))
    order = [e["operation"] for e in server_log(sb) if e["operation"] in ("getContentDocument", "searchContentDocuments")]
    assert order.count("getContentDocument") == 40 and order.count("searchContentDocuments") == 10
    last_search = max(i for i, op in enumerate(order) if op == "searchContentDocuments")
    gets_before_last_search = order[:last_search].count("getContentDocument")
    # Nominally ~10 (the bucket's first burst and a refill or two); starved, 36 or more.
    assert gets_before_last_search < 30, order


# ---- operations and pagination -----------------------------------------------------------------


def test_search_follows_every_page(make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    sb = make_sandbox(page_size=2)

    async def body(client: SpApiClient) -> list[str]:
        for i in range(5):
            await client.create_content_document(US, text_doc(f"Doc {i}"))
        return [r["contentMetadata"]["name"] async for r in client.search_content_documents(US)]

    names = run(with_client(sb, body))
    assert sorted(names) == [f"Doc {i}" for i in range(5)]
    assert len(statuses(sb, "searchContentDocuments")) == 3


def test_asin_relations_round_trip_across_pages(make_sandbox: Callable[..., EmbeddedSandbox]) -> None:
    sb = make_sandbox(page_size=2)
    asins = [f"B0TEST{i:04d}" for i in range(5)]
    admin(sb, "POST", "/catalog", json={"asins": asins, "state": "in_brand"})

    async def body(client: SpApiClient) -> tuple[list[str], list[str], dict[str, Any]]:
        key = await client.create_content_document(US, text_doc("Related"))
        await client.post_content_document_asin_relations(key, US, asins)
        plain = [a["asin"] async for a in client.list_content_document_asin_relations(key, US)]
        some = [
            a["asin"]
            async for a in client.list_content_document_asin_relations(
                key, US, included_data_set=["METADATA"], asin_set=asins[:3]
            )
        ]
        validation = await client.validate_content_document_asin_relations(US, text_doc("Related"), asins[:1])
        return plain, some, validation

    plain, some, validation = run(with_client(sb, body))
    assert plain == asins and some == asins[:3]
    assert validation["errors"] == []
    assert len(statuses(sb, "listContentDocumentAsinRelations")) == 3 + 2


def test_submission_update_and_publish_records(sandbox: EmbeddedSandbox) -> None:
    asin = "B0PUBLISH01"
    admin(sandbox, "POST", "/catalog", json={"asins": [asin], "state": "in_brand"})
    admin(sandbox, "POST", "/moderation", json={"outcome": "APPROVED"})

    async def body(client: SpApiClient) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
        key = await client.create_content_document(US, text_doc("Publish"))
        assert await client.update_content_document(key, US, text_doc("Publish v2")) == key
        await client.post_content_document_asin_relations(key, US, [asin])
        await client.post_content_document_approval_submission(key, US)
        admin(sandbox, "POST", "/moderation/settle")
        records = [r async for r in client.search_content_publish_records(US, asin)]
        suspended = await client.post_content_document_suspend_submission(key, US)
        return key, records, suspended

    key, records, suspended = run(with_client(sandbox, body))
    assert [r["contentReferenceKey"] for r in records] == [key]
    assert "errors" not in suspended


def test_a_400_becomes_invalid_input_naming_the_field(sandbox: EmbeddedSandbox) -> None:
    async def body(client: SpApiClient) -> None:
        await client.create_content_document(US, {**text_doc("x"), "name": "n" * 101})

    with pytest.raises(InvalidInput) as info:
        run(with_client(sandbox, body))
    assert info.value.field == "contentDocument.name"
    assert info.value.status == 400 and info.value.request_id


def test_an_unknown_document_is_not_found(sandbox: EmbeddedSandbox) -> None:
    async def body(client: SpApiClient) -> None:
        await client.get_content_document("00000000-0000-0000-0000-000000000000", US)

    with pytest.raises(NotFound):
        run(with_client(sandbox, body))


# ---- uploads -----------------------------------------------------------------------------------


def test_upload_destination_and_presigned_post(sandbox: EmbeddedSandbox) -> None:
    data = png_bytes()

    async def body(client: SpApiClient) -> str:
        destination = await client.create_upload_destination(US, content_md5_b64(data), "image/png")
        await client.upload(destination, data, "image/png", "hero.png")
        doc = text_doc("With image")
        doc["contentModuleList"] = [
            {
                "contentModuleType": "STANDARD_SINGLE_SIDE_IMAGE",
                "standardSingleSideImage": {
                    "imagePositionType": "LEFT",
                    "block": {
                        "image": {
                            "uploadDestinationId": destination.upload_destination_id,
                            "imageCropSpecification": {
                                "size": {"width": {"value": 300, "units": "pixels"}, "height": {"value": 300, "units": "pixels"}}
                            },
                            "altText": "red square",
                        }
                    },
                },
            }
        ]
        return await client.create_content_document(US, doc)

    assert run(with_client(sandbox, body))
    assert statuses(sandbox, "createUploadDestinationForResource") == [201]
    assert statuses(sandbox, "s3:PostObject") == [204]


def test_an_md5_mismatch_is_reported_clearly(sandbox: EmbeddedSandbox) -> None:
    data = png_bytes()

    async def body(client: SpApiClient) -> None:
        destination = await client.create_upload_destination(US, content_md5_b64(b"other bytes"), "image/png")
        await client.upload(destination, data, "image/png", "hero.png")

    with pytest.raises(UploadError) as info:
        run(with_client(sandbox, body))
    message = str(info.value)
    assert info.value.code == "BadDigest"
    assert "hero.png" in message and "MD5 does not match" in message
    assert "x-amz-signature" not in message.lower() and "policy=" not in message


# ---- logs --------------------------------------------------------------------------------------


def test_no_secret_in_any_log_line_at_verbose(sandbox: EmbeddedSandbox, caplog: pytest.LogCaptureFixture) -> None:
    """One line per call with operation, status, duration and request id; nothing secret."""
    data = png_bytes()
    seen: dict[str, str] = {}

    async def body(client: SpApiClient) -> None:
        key = await client.create_content_document(US, text_doc("Logged"))
        admin(sandbox, "POST", "/tokens/expire")
        await client.get_content_document(key, US)  # a 403, a refresh and a retry
        admin(sandbox, "POST", "/faults", json={"operation": "getContentDocument", "kind": "500", "count": 1})
        await client.get_content_document(key, US)
        destination = await client.create_upload_destination(US, content_md5_b64(data), "image/png")
        seen["url"] = destination.url
        await client.upload(destination, data, "image/png", "a.png")
        with pytest.raises(UploadError):
            await client.upload(destination, b"tampered", "image/png", "b.png")
        seen["token"] = await client.tokens.get()

    with caplog.at_level(logging.DEBUG):  # every logger, httpx's and httpcore's included
        run(with_client(sandbox, body))

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("aplusctl")]
    text = "\n".join([r.getMessage() for r in caplog.records] + [caplog.text])
    query = httpx.URL(seen["url"]).params
    secrets = [
        sandbox.env["LWA_CLIENT_SECRET"],
        sandbox.env["SP_API_REFRESH_TOKEN"],
        seen["token"],
        query["x-amz-signature"],
        query["policy"],
        httpx.URL(seen["url"]).query.decode(),
    ]
    for secret in secrets:
        assert secret not in text
    assert "Atza|" not in text and "Atzr|" not in text
    get_lines = [line for line in lines if line.startswith("getContentDocument ")]
    assert [line.split()[1] for line in get_lines] == ["403", "200", "500", "200"]
    for line in get_lines:
        assert "ms request-id=" in line and "request-id=-" not in line


async def _drain(items: Any) -> list[Any]:
    return [item async for item in items]
