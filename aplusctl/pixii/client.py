"""Async Pixii client: submit A+ jobs, poll them, download their images.

Pixii is asynchronous and paid, so the client is careful in three ways: a submission is never
retried when it may have reached Pixii (only 429s, which are refused before any charge, and
connections that never opened are); polling and downloads, being reads, retry transient
failures; and every wait (429s, polling) is bounded, then raised with a message that says what
to do. Answers are read bare or inside a `{success, data, error}` envelope.

The API key goes only to the API endpoint: result images are fetched without it, since signed
URLs may live on another host.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal
from urllib.parse import quote

import httpx
from PIL import Image

from aplusctl.credentials import pixii_api_key, pixii_endpoint
from aplusctl.http_common import parse_retry_after, user_agent
from aplusctl.pixii.errors import (
    DownloadError,
    JobTimeout,
    NotAnImage,
    PixiiConnectionError,
    PixiiError,
    PixiiProtocolError,
    ResultExpired,
    SubmitOutcomeUnknown,
    from_answer,
)
from aplusctl.pixii.jobs import Job, JobSummary, parse_job, parse_time, to_int
from aplusctl.redact import register_secret, url_without_query

log = logging.getLogger("aplusctl.pixii")

_TRANSIENT = frozenset({500, 502, 503, 504})
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _unwrap(body: Any) -> tuple[Any, Mapping[str, Any] | None]:
    """(data, error) from a bare or `{success, data, error}` body."""
    if isinstance(body, Mapping):
        if "success" in body and ("data" in body or "error" in body):
            error = body.get("error")
            if body.get("success") is False or error:
                return None, error if isinstance(error, Mapping) else {"message": error}
            return body.get("data"), None
        nested = body.get("error")
        if isinstance(nested, Mapping) and "code" in nested:
            return None, nested
    return body, None


def _retry_after(response: httpx.Response, error: Mapping[str, Any] | None) -> float | None:
    """The header first; Pixii's error body also carries `retry_after`."""
    seconds = parse_retry_after(response.headers.get("retry-after"))
    if seconds is not None:
        return seconds
    value = (error or {}).get("retry_after")
    return max(0.0, float(value)) if isinstance(value, (int, float)) else None


# --- the client ------------------------------------------------------------------------------


class PixiiClient:
    """Owns one httpx.AsyncClient; use as `async with PixiiClient(endpoint, key) as pixii:`."""

    def __init__(self, endpoint: str, api_key: str, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 request_timeout: float = 30.0, max_rate_wait: float = 120.0,
                 max_retries: int = 3, backoff: float = 0.5, poll_interval: float = 5.0) -> None:
        if not api_key:
            raise PixiiError("PIXII_API_KEY is not set: export your Pixii API key to generate.")
        register_secret(api_key)
        self.endpoint = endpoint.rstrip("/")
        self._key = api_key
        self.max_rate_wait = max_rate_wait
        self.max_retries = max_retries
        self.backoff = backoff
        self.poll_interval = poll_interval   # Pixii recommends 5 s; the sandbox can take 0.1 s
        self.rate_limit: dict[str, int] = {}   # the last submission's X-RateLimit-* headers
        self._http = httpx.AsyncClient(transport=transport, timeout=request_timeout,
                                       headers={"User-Agent": user_agent()})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> PixiiClient:
        """PIXII_API_KEY and APLUSCTL_PIXII_ENDPOINT (default: Pixii's production API)."""
        return cls(pixii_endpoint(environ), pixii_api_key(environ), **options)

    async def __aenter__(self) -> PixiiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"PixiiClient({self.endpoint!r})"

    # --- operations --------------------------------------------------------------------------

    async def submit_a_plus(self, request: Mapping[str, Any]) -> Job:
        """POST /v1/api/a_plus. Raises SubmitOutcomeUnknown when it may have been charged."""
        types = [t for t in request.get("types") or [] if isinstance(t, str)]
        data = await self._call("POST", "/v1/api/a_plus", json=dict(request), idempotent=False,
                                types=types)
        if not isinstance(data, Mapping):
            raise PixiiProtocolError("Pixii answered a submission without a job.")
        return parse_job(data, requested_types=types)

    async def get_job(self, job_id: str) -> Job:
        data = await self._call("GET", f"/v1/api/jobs/{quote(job_id, safe='')}", idempotent=True,
                                job_id=job_id)
        if not isinstance(data, Mapping):
            raise PixiiProtocolError(f"Pixii answered job {job_id} with something other than a job.")
        return parse_job(data)

    async def list_jobs(self, asin: str) -> list[JobSummary]:
        """Every job of an ASIN, newest first, following pages."""
        summaries: list[JobSummary] = []
        page = 1
        while True:
            data = await self._call("GET", "/v1/api/jobs", params={"asin": asin, "page": page},
                                    idempotent=True)
            items = data.get("data") if isinstance(data, Mapping) else data
            if not isinstance(items, list):
                raise PixiiProtocolError("Pixii answered the job list without a list of jobs.")
            summaries += [
                JobSummary(str(item.get("id") or item.get("job_id")), item.get("job_type"),
                           str(item.get("status")), parse_time(item.get("created_at")))
                for item in items if isinstance(item, Mapping)
            ]
            total = to_int(data.get("total")) if isinstance(data, Mapping) else None
            if not items or total is None or len(summaries) >= total:
                return summaries
            page += 1

    async def wait(self, job_id: str, *, interval: float | None = None, timeout: float = 900.0,
                   on_progress: Callable[[Job], Awaitable[None] | None] | None = None) -> Job:
        """Poll every `interval` (default poll_interval) until the job completes or fails;
        JobTimeout after `timeout` seconds.

        A failed job is returned, not raised: its refund and per-variant errors are the caller's
        to report.
        """
        interval = self.poll_interval if interval is None else interval
        started = time.monotonic()
        while True:
            job = await self.get_job(job_id)
            if on_progress is not None:
                result = on_progress(job)
                if inspect.isawaitable(result):
                    await result
            if job.done:
                return job
            waited = time.monotonic() - started
            if waited >= timeout:
                raise JobTimeout(job_id, job.status, waited)
            await asyncio.sleep(min(interval, timeout - waited))

    async def download(self, url: str) -> bytes:
        """A result image's bytes, checked to be a readable PNG or JPEG. No API key is sent."""
        if not url.startswith(("https://", "http://")):
            raise DownloadError(f"Pixii gave a result URL that is not http(s): {url_without_query(url)}")
        shown = url_without_query(url)
        response = await self._send("GET", url, idempotent=True, authorised=False, shown=shown)
        if response.status_code in (403, 410):
            _, error = _unwrap(_json_or_none(response))
            code = (error or {}).get("code")
            if response.status_code == 410 or code in ("URL_EXPIRED", "JOB_EXPIRED"):
                raise ResultExpired(
                    f"Pixii's result image {shown} has expired (results are kept 7 days): "
                    "regenerate it (aplusctl generate --force).", code=code, status=response.status_code)
            raise DownloadError(
                f"Pixii refused the result image {shown} (HTTP {response.status_code}): the signed "
                "URL is expired or invalid; poll the job again for fresh URLs, or regenerate.",
                code=code, status=response.status_code)
        if response.status_code != 200:
            raise DownloadError(f"Downloading {shown} failed with HTTP {response.status_code}.",
                                status=response.status_code)
        check_image(response.content, shown)
        return response.content

    # --- transport ---------------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, json: Any = None,
                    params: Mapping[str, Any] | None = None, idempotent: bool,
                    types: list[str] | None = None, job_id: str | None = None) -> Any:
        """One API call: 429s waited out within max_rate_wait; errors mapped by code."""
        rate_budget = self.max_rate_wait
        while True:
            response = await self._send(method, self.endpoint + path, json=json, params=params,
                                        idempotent=idempotent, authorised=True, shown=path)
            self._note_rate_headers(response)
            data, error = _unwrap(_json_or_none(response))
            if response.is_success and error is None:
                return data
            retry_after = _retry_after(response, error)
            if response.status_code == 429 or str((error or {}).get("code") or "").startswith("RATE_LIMIT"):
                wait = 1.0 if retry_after is None else retry_after
                if wait <= rate_budget:
                    log.info("pixii %s %s rate limited; waiting %.1fs", method, path, wait)
                    rate_budget -= wait
                    await asyncio.sleep(wait)
                    continue
            error = error or {}
            raise from_answer(response.status_code, error.get("code"), error.get("message"),
                              error.get("detail"), retry_after, types=types, job_id=job_id)

    async def _send(self, method: str, url: str, *, json: Any = None,
                    params: Mapping[str, Any] | None = None, idempotent: bool, authorised: bool,
                    shown: str) -> httpx.Response:
        """Send, retrying transient failures; a non-idempotent call retries only unsent requests."""
        headers = {"Authorization": f"Bearer {self._key}"} if authorised else {}
        attempt = 0
        while True:
            attempt += 1
            began = time.monotonic()
            try:
                response = await self._http.request(method, url, json=json, params=params,
                                                    headers=headers)
            except _UNSENT as exc:   # never left this machine: safe to retry any call
                failure: Exception = exc
            except httpx.TransportError as exc:
                if not idempotent:
                    raise SubmitOutcomeUnknown(
                        f"The connection to Pixii dropped during {method} {shown} "
                        f"({type(exc).__name__}); the job may have been created and charged. "
                        "List the ASIN's jobs before submitting again.") from None
                failure = exc
            else:
                log.info("pixii %s %s %d %.0fms", method, shown, response.status_code,
                         (time.monotonic() - began) * 1000)
                if (response.status_code in _TRANSIENT and idempotent
                        and attempt <= self.max_retries):
                    await asyncio.sleep(self._backoff(attempt, _retry_after(response, None)))
                    continue
                return response
            log.info("pixii %s %s %s %.0fms", method, shown, type(failure).__name__,
                     (time.monotonic() - began) * 1000)
            if attempt > self.max_retries:
                raise PixiiConnectionError(
                    f"Could not reach Pixii for {method} {shown} ({type(failure).__name__}); "
                    "check the network and APLUSCTL_PIXII_ENDPOINT, then run again.") from None
            await asyncio.sleep(self._backoff(attempt, None))

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, 30.0)
        return random.uniform(0, self.backoff * 2 ** (attempt - 1))

    def _note_rate_headers(self, response: httpx.Response) -> None:
        for name in ("Limit-Minute", "Remaining-Minute", "Limit-Day", "Remaining-Day"):
            value = response.headers.get(f"X-RateLimit-{name}")
            if value is not None and value.isdigit():
                self.rate_limit[name.lower().replace("-", "_")] = int(value)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


ImageKind = Literal["png", "jpeg"]


def check_image(data: bytes, shown: str = "the image") -> ImageKind:
    """Raise NotAnImage unless `data` is a PNG or JPEG that Pillow can read through."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind: ImageKind = "png"
    elif data.startswith(b"\xff\xd8\xff"):
        kind = "jpeg"
    else:
        raise NotAnImage(f"{shown} is not a PNG or JPEG image ({len(data)} bytes).")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as exc:  # Pillow raises many types for corrupt data
        raise NotAnImage(f"{shown} is a damaged {kind.upper()} ({type(exc).__name__}).") from None
    return kind
