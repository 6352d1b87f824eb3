"""The async SP-API client: the 10 A+ operations, upload destinations and the S3 upload.

Every call goes through one path (`_call`): access token, a concurrency slot, the operation's
token bucket, the request, one log line, then success, a typed error, or a bounded retry.
Bodies in and out are plain dicts in the API's own JSON shape; the client knows nothing of
YAML or of our content models.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from aplusctl.credentials import SpApiCredentials
from aplusctl.http_common import parse_retry_after, user_agent
from aplusctl.redact import redact
from aplusctl.spapi.auth import LwaTokenSource
from aplusctl.spapi.errors import (
    CreateOutcomeUnknown,
    InvalidInput,
    NetworkError,
    NotFound,
    ServerError,
    SpApiError,
    Throttled,
    Unauthorized,
    UploadError,
)
from aplusctl.spapi.ratelimit import RateLimiter, UsagePlan, parse_rate_limit
from aplusctl.spapi.retry import RETRYABLE_STATUS, RetryPolicy, send_with_retries
from aplusctl.spapi.uploads import (
    UPLOAD_PATH,
    UploadDestination,
    explain_s3_error,
    parse_s3_error,
    presigned_post,
)

log = logging.getLogger("aplusctl.spapi")

APLUS = "/aplus/2020-11-01"

# Failures after which the request certainly never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures after which it may have: the server may have acted on it.
_MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.CloseError,
)


class SpApiClient:
    """One seller authorisation against one regional endpoint; owns an httpx.AsyncClient."""

    def __init__(
        self,
        credentials: SpApiCredentials,
        endpoint: str,
        lwa_endpoint: str,
        *,
        max_concurrency: int = 32,
        usage_plans: Mapping[str, UsagePlan] | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=max_concurrency + 4, max_keepalive_connections=max_concurrency),
            headers={"user-agent": user_agent(), "accept": "application/json"},
            follow_redirects=False,
        )
        self._slots = asyncio.Semaphore(max_concurrency)
        self.limiter = RateLimiter(usage_plans)
        self.tokens = LwaTokenSource(credentials, lwa_endpoint, self._http, self._retry)

    async def __aenter__(self) -> SpApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- A+ Content: documents -------------------------------------------------------------

    async def search_content_documents(self, marketplace_id: str) -> AsyncIterator[dict[str, Any]]:
        """Every ContentMetadataRecord of the marketplace, page after page."""
        async for item in self._pages(
            "searchContentDocuments",
            f"{APLUS}/contentDocuments",
            {"marketplaceId": marketplace_id},
            "contentMetadataRecords",
        ):
            yield item

    async def create_content_document(self, marketplace_id: str, content_document: Mapping[str, Any]) -> str:
        """Create a document and return its contentReferenceKey.

        Raises CreateOutcomeUnknown (never retries) when the request may have reached Amazon
        but no usable answer came back: look the document up by name before trying again.
        """
        body = await self._call(
            "createContentDocument",
            "POST",
            f"{APLUS}/contentDocuments",
            {"marketplaceId": marketplace_id},
            {"contentDocument": dict(content_document)},
            create=True,
        )
        key = body.get("contentReferenceKey")
        if not isinstance(key, str) or not key:
            raise CreateOutcomeUnknown(
                200, "NoContentReferenceKey", "the create answer carried no contentReferenceKey",
                operation="createContentDocument",
            )
        return key

    async def get_content_document(
        self,
        content_reference_key: str,
        marketplace_id: str,
        included_data_set: Iterable[str] = ("CONTENTS", "METADATA"),
    ) -> dict[str, Any]:
        return await self._call(
            "getContentDocument",
            "GET",
            f"{APLUS}/contentDocuments/{_seg(content_reference_key)}",
            {"marketplaceId": marketplace_id, "includedDataSet": _csv(included_data_set)},
        )

    async def update_content_document(
        self, content_reference_key: str, marketplace_id: str, content_document: Mapping[str, Any]
    ) -> str:
        """Replace a document's content (retried safely: the same body twice is one update)."""
        body = await self._call(
            "updateContentDocument",
            "POST",
            f"{APLUS}/contentDocuments/{_seg(content_reference_key)}",
            {"marketplaceId": marketplace_id},
            {"contentDocument": dict(content_document)},
        )
        return str(body.get("contentReferenceKey") or content_reference_key)

    # ---- A+ Content: ASIN relations ----------------------------------------------------------

    async def list_content_document_asin_relations(
        self,
        content_reference_key: str,
        marketplace_id: str,
        included_data_set: Iterable[str] | None = None,
        asin_set: Iterable[str] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every AsinMetadata related to the document, page after page."""
        params: dict[str, str] = {"marketplaceId": marketplace_id}
        if included_data_set:
            params["includedDataSet"] = _csv(included_data_set)
        if asin_set:
            params["asinSet"] = _csv(asin_set)
        async for item in self._pages(
            "listContentDocumentAsinRelations",
            f"{APLUS}/contentDocuments/{_seg(content_reference_key)}/asins",
            params,
            "asinMetadataSet",
        ):
            yield item

    async def post_content_document_asin_relations(
        self, content_reference_key: str, marketplace_id: str, asin_set: Iterable[str]
    ) -> dict[str, Any]:
        """Replace the document's whole ASIN set (so a retry is harmless)."""
        return await self._call(
            "postContentDocumentAsinRelations",
            "POST",
            f"{APLUS}/contentDocuments/{_seg(content_reference_key)}/asins",
            {"marketplaceId": marketplace_id},
            {"asinSet": list(asin_set)},
        )

    async def validate_content_document_asin_relations(
        self,
        marketplace_id: str,
        content_document: Mapping[str, Any],
        asin_set: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """Amazon's validation; a 200 passes only when the returned `errors` list is empty."""
        params = {"marketplaceId": marketplace_id}
        if asin_set:
            params["asinSet"] = _csv(asin_set)
        return await self._call(
            "validateContentDocumentAsinRelations",
            "POST",
            f"{APLUS}/contentAsinValidations",
            params,
            {"contentDocument": dict(content_document)},
        )

    async def search_content_publish_records(self, marketplace_id: str, asin: str) -> AsyncIterator[dict[str, Any]]:
        async for item in self._pages(
            "searchContentPublishRecords",
            f"{APLUS}/contentPublishRecords",
            {"marketplaceId": marketplace_id, "asin": asin},
            "publishRecordList",
        ):
            yield item

    # ---- A+ Content: submissions -------------------------------------------------------------

    async def post_content_document_approval_submission(
        self, content_reference_key: str, marketplace_id: str
    ) -> dict[str, Any]:
        return await self._call(
            "postContentDocumentApprovalSubmission",
            "POST",
            f"{APLUS}/contentDocuments/{_seg(content_reference_key)}/approvalSubmissions",
            {"marketplaceId": marketplace_id},
        )

    async def post_content_document_suspend_submission(
        self, content_reference_key: str, marketplace_id: str
    ) -> dict[str, Any]:
        return await self._call(
            "postContentDocumentSuspendSubmission",
            "POST",
            f"{APLUS}/contentDocuments/{_seg(content_reference_key)}/suspendSubmissions",
            {"marketplaceId": marketplace_id},
        )

    # ---- Uploads -----------------------------------------------------------------------------

    async def create_upload_destination(
        self, marketplace_id: str, content_md5_b64: str, content_type: str
    ) -> UploadDestination:
        """createUploadDestinationForResource for A+ images (resource path with literal slashes)."""
        body = await self._call(
            "createUploadDestinationForResource",
            "POST",
            UPLOAD_PATH,
            {"marketplaceIds": marketplace_id, "contentMD5": content_md5_b64, "contentType": content_type},
        )
        payload = body.get("payload")
        if not isinstance(payload, dict) or "uploadDestinationId" not in payload or "url" not in payload:
            raise SpApiError(
                None, "InvalidResponse", "the upload destination answer had no payload",
                operation="createUploadDestinationForResource",
            )
        return UploadDestination.from_payload(payload)

    async def upload(self, destination: UploadDestination, data: bytes, content_type: str, filename: str) -> None:
        """The presigned multipart POST: query parameters become form fields, the file goes last."""
        form = presigned_post(destination, data, content_type, filename)
        label = f"upload {destination.upload_destination_id}"

        async def post() -> httpx.Response:
            async with self._slots:
                return await self._http.post(
                    form.url, data=form.fields, files=form.files, headers=destination.headers or None
                )

        def log_try(outcome: str, t0: float, response: httpx.Response | None, attempt: int) -> None:
            request_id = response.headers.get("x-amz-request-id") if response is not None else None
            _log_call(label, outcome, t0, request_id, attempt)

        try:
            outcome = await send_with_retries(post, self._retry, log_try)
        except httpx.HTTPError as exc:
            raise UploadError(f"upload of {filename} failed: {type(exc).__name__}: {exc}") from None
        response = outcome.response
        if response is None:
            raise UploadError(
                f"upload of {filename} failed: {outcome.failure} after {outcome.attempts} attempts; "
                f"check the network and run again"
            )
        if response.is_success:
            return
        error = parse_s3_error(response.text)
        request_id = error.request_id or response.headers.get("x-amz-request-id")
        raise UploadError(
            f"upload of {filename} ({destination.upload_destination_id}) was rejected: "
            f"{explain_s3_error(error)} [HTTP {response.status_code}"
            f"{', request id ' + request_id if request_id else ''}]",
            code=error.code,
            status=response.status_code,
        )

    # ---- the one path every SP-API call takes -----------------------------------------------

    async def _pages(
        self, operation: str, path: str, params: Mapping[str, str], items_key: str
    ) -> AsyncIterator[dict[str, Any]]:
        """Follow nextPageToken, repeating the same arguments, as the API asks."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            query = dict(params)
            if token:
                query["pageToken"] = token
            body = await self._call(operation, "GET", path, query)
            for warning in body.get("warnings") or []:
                log.warning("%s: %s: %s", operation, warning.get("code"), warning.get("message"))
            for item in body.get(items_key) or []:
                yield item
            token = body.get("nextPageToken") or None
            if token is None:
                return
            if token in seen:
                raise SpApiError(None, "PaginationLoop", "the server repeated a page token", operation=operation)
            seen.add(token)

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        *,
        create: bool = False,
    ) -> dict[str, Any]:
        url = self._endpoint + path
        bucket = self.limiter.bucket(operation)
        started = time.monotonic()
        attempt = 0
        reauthorised = False
        while True:
            attempt += 1
            token = await self.tokens.get()
            headers = {"x-amz-access-token": token, "x-amz-date": _amz_date()}
            retry_after: float | None = None
            t0 = time.monotonic()
            # The bucket before the slot: callers queued on one operation's plan must not hold
            # the slots that other operations (with tokens to spare) could be using.
            await bucket.acquire()
            try:
                async with self._slots:
                    t0 = time.monotonic()
                    response = await self._http.request(method, url, params=params, json=json_body, headers=headers)
            except _NOT_SENT as exc:
                failure: Exception = exc
                _log_call(operation, type(exc).__name__, t0, None, attempt)
            except _MAYBE_SENT as exc:
                _log_call(operation, type(exc).__name__, t0, None, attempt)
                if create:
                    raise CreateOutcomeUnknown(
                        None, type(exc).__name__,
                        "the connection failed after the request was sent, so Amazon may have created the document",
                        operation=operation,
                    ) from None
                failure = exc
            except httpx.HTTPError as exc:  # a bad endpoint URL, a proxy refusing us: not transient
                _log_call(operation, type(exc).__name__, t0, None, attempt)
                raise NetworkError(
                    None, type(exc).__name__, f"cannot call {self._endpoint}: {exc}", operation=operation
                ) from None
            else:
                status = response.status_code
                request_id = response.headers.get("x-amzn-requestid")
                _log_call(operation, str(status), t0, request_id, attempt)
                rate = parse_rate_limit(response.headers.get("x-amzn-ratelimit-limit"))
                if rate is not None:
                    bucket.observe_limit(rate)
                if 200 <= status < 300:
                    bucket.succeeded()
                    return _json_body(response, operation, create)
                if status in (401, 403) and not reauthorised:
                    # The token may have expired between our check and the server's: one fresh try.
                    reauthorised = True
                    self.tokens.invalidate(token)
                    attempt -= 1
                    continue
                if status == 429:
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    bucket.throttled(retry_after)
                elif status in RETRYABLE_STATUS and create:
                    raise _error(response, operation, CreateOutcomeUnknown)
                if status not in RETRYABLE_STATUS:
                    raise _error(response, operation)
                failure = _error(response, operation)
            wait = self._retry.next_wait(attempt, started, time.monotonic(), retry_after)
            if wait is None:
                if isinstance(failure, SpApiError):
                    raise failure
                raise NetworkError(
                    None, type(failure).__name__, f"no answer from {self._endpoint} after {attempt} attempts",
                    operation=operation,
                ) from None
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s: retry %d/%d in %.2fs", operation, attempt + 1, self._retry.max_attempts, wait)
            await asyncio.sleep(wait)


def _seg(value: str) -> str:
    """A path parameter, percent-encoded so a key can never add a path segment."""
    return quote(value, safe="")


def _csv(values: Iterable[str]) -> str:
    """Array query parameters are csv in the A+ model (repeated parameters are not read)."""
    return ",".join(values)


def _amz_date() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


def _log_call(operation: str, outcome: str, t0: float, request_id: str | None, attempt: int) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    again = f" attempt={attempt}" if attempt > 1 else ""
    log.info(
        "%s %s %.0fms request-id=%s%s", operation, outcome, (time.monotonic() - t0) * 1000, request_id or "-", again
    )


def _json_body(response: httpx.Response, operation: str, create: bool) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        cls = CreateOutcomeUnknown if create else SpApiError
        raise cls(response.status_code, "InvalidResponse", "the answer was not JSON", operation=operation) from None
    return body if isinstance(body, dict) else {"payload": body}


_BY_STATUS: dict[int, type[SpApiError]] = {
    400: InvalidInput,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    410: NotFound,
    429: Throttled,
}


def _error(response: httpx.Response, operation: str, cls: type[SpApiError] | None = None) -> SpApiError:
    """Turn an SP-API error answer ({"errors": [{code, message, details}]}) into its exception."""
    status = response.status_code
    code, message, details = "", "", None
    try:
        data = response.json()
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, list) and errors:
            first = errors[0]
            code = str(first.get("code") or "")
            message = str(first.get("message") or "")
            details = first.get("details")
            extra = [f"{e.get('code')}: {e.get('message')}" for e in errors[1:] if isinstance(e, dict)]
            if extra:
                details = "; ".join(([str(details)] if details else []) + extra)
    except ValueError:
        message = " ".join(redact(response.text).split())[:200]
    if not code:
        code = response.headers.get("x-amzn-errortype", "").split(":")[0] or response.reason_phrase
    if not message:
        message = response.reason_phrase or f"HTTP {status}"
    if cls is None:
        cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else SpApiError)
    return cls(status, code, message, details, response.headers.get("x-amzn-requestid"), operation)

