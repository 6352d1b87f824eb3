"""PixiiClient against the sandbox's Pixii over real HTTP."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from PIL import Image

from aplusctl.errors import UserError
from aplusctl.pixii import CREDIT_COST, credit_cost
from aplusctl.pixii.client import PixiiClient, check_image
from aplusctl.pixii.jobs import Job, parse_job
from aplusctl.pixii.errors import (
    DownloadError,
    InsufficientCredits,
    JobNotFound,
    JobTimeout,
    NoActiveBrand,
    NotAnImage,
    PixiiConnectionError,
    PixiiInternalError,
    PixiiUnauthorized,
    PixiiUnavailable,
    PixiiValidationError,
    RateLimitDayExceeded,
    RateLimitMinuteExceeded,
    ResultExpired,
    SubmitOutcomeUnknown,
    from_answer,
)
from test_pixii_support import KEY, PixiiServer, request_body

T = TypeVar("T")
FAST = 0.02   # poll interval for sandbox jobs of 0.2 s


def run(server: PixiiServer, body: Callable[[PixiiClient], Awaitable[T]], **options: Any) -> T:
    async def main() -> T:
        async with PixiiClient(server.endpoint, KEY, **options) as client:
            return await body(client)

    return asyncio.run(main())


def test_credit_costs() -> None:
    assert CREDIT_COST == {"A+ Basic": 20, "A+ Premium": 20, "A+ Premium Mobile": 30}
    assert credit_cost(["A+ Basic", "A+ Premium"]) == 40
    assert credit_cost(["A+ Basic", "A+ Premium", "A+ Premium Mobile"]) == 70
    assert credit_cost(["A+ Premium Mobile"]) == 30


SIZES = {"A+ Basic": (970, 600), "A+ Premium": (1464, 600), "A+ Premium Mobile": (600, 450)}


def test_submit_wait_and_download_every_image(pixii_server: PixiiServer) -> None:
    types = ["A+ Basic", "A+ Premium", "A+ Premium Mobile"]
    seen: list[str] = []

    async def body(client: PixiiClient) -> tuple[Job, Job, dict[str, list[bytes]]]:
        submitted = await client.submit_a_plus(request_body(*types, user_prompt="durable"))
        done = await client.wait(submitted.id, interval=FAST, timeout=30,
                                 on_progress=lambda job: seen.append(job.status))
        images = {v.type or "": [await client.download(url) for url in (*v.modules, v.preview or "")]
                  for v in done.variants}
        return submitted, done, images

    # The sandbox refuses an Authorization header on signed URLs, so these downloads also prove
    # the client never sends the API key to the (possibly foreign) result host.
    submitted, done, images = run(pixii_server, body)
    assert submitted.status == "pending" and submitted.credit_cost == 70
    assert submitted.remaining_credits == 930
    assert done.status == "completed" and done.done and seen[-1] == "completed"
    assert done.credit_cost == 70 and done.credits_refunded == 0 and done.credits_spent == 70
    assert [v.type for v in done.succeeded] == types and not done.failed
    assert done.expires_at is not None and not done.expired
    for variant_type, blobs in images.items():
        *modules, preview = blobs
        assert len(modules) == 5
        for blob in modules:
            assert check_image(blob) == "png"
            with Image.open(io.BytesIO(blob)) as image:
                assert image.size == SIZES[variant_type]
        with Image.open(io.BytesIO(preview)) as image:
            assert image.format == "PNG" and image.height > image.width
    assert "signature" not in repr(done)


def test_partial_failure_reports_the_variant_and_its_refund(pixii_server: PixiiServer) -> None:
    pixii_server.admin("POST", "fail", {"type": "A+ Premium Mobile", "mode": "next"})

    async def body(client: PixiiClient) -> Job:
        job = await client.submit_a_plus(request_body("A+ Basic", "A+ Premium Mobile"))
        return await client.wait(job.id, interval=FAST, timeout=30)

    job = run(pixii_server, body)
    assert job.status == "completed" and job.credit_cost == 50 and job.credits_refunded == 30
    assert job.credits_spent == 20
    (basic,), (mobile,) = job.succeeded, job.failed
    assert basic.type == "A+ Basic" and len(basic.modules) == 5 and basic.preview
    assert mobile.type == "A+ Premium Mobile" and mobile.modules == () and mobile.preview is None
    assert mobile.error is not None and mobile.error.code == "IMAGE_GENERATION_ERROR"
    assert mobile.credits_refunded == 30
    assert pixii_server.state()["balance"] == 1000 - 20


def test_a_wholly_failed_job_is_returned_with_its_refund(pixii_server: PixiiServer) -> None:
    pixii_server.admin("POST", "fail", {"type": "A+ Basic", "mode": "always"})

    async def body(client: PixiiClient) -> Job:
        job = await client.submit_a_plus(request_body("A+ Basic"))
        return await client.wait(job.id, interval=FAST, timeout=30)

    job = run(pixii_server, body)
    assert job.status == "failed" and job.error_code == "IMAGE_GENERATION_ERROR"
    assert job.credits_refunded == 20 and job.credits_spent == 0
    assert pixii_server.state()["balance"] == 1000


def test_insufficient_credits_says_how_many_are_needed(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "credits", {"balance": 50})
    with pytest.raises(InsufficientCredits) as caught:
        run(pixii_server, lambda c: c.submit_a_plus(
            request_body("A+ Basic", "A+ Premium", "A+ Premium Mobile")))
    assert caught.value.needed == 70 and caught.value.status == 402
    assert "70 credits" in str(caught.value) and "dashboard" in str(caught.value)
    assert isinstance(caught.value, UserError)
    assert pixii_server.state()["balance"] == 50


def test_rate_limit_raises_when_the_wait_exceeds_the_bound(pixii_server: PixiiServer) -> None:
    async def body(client: PixiiClient) -> None:
        for _ in range(10):
            await client.submit_a_plus(request_body())
        assert client.rate_limit["remaining_minute"] == 0
        await client.submit_a_plus(request_body())

    with pytest.raises(RateLimitMinuteExceeded) as caught:
        run(pixii_server, body, max_rate_wait=2.0)
    assert caught.value.retry_after is not None and caught.value.retry_after > 2
    assert caught.value.code == "RATE_LIMIT_MINUTE_EXCEEDED"
    assert pixii_server.state()["balance"] == 1000 - 200


def test_rate_limit_is_waited_out_within_the_bound(pixii_server: PixiiServer) -> None:
    # A window the 10 admitted submissions surely fit in, even on a loaded machine, so the 11th
    # meets the 429 this test is about; waiting it out costs at most the window.
    pixii_server.admin("PUT", "limits", {"window_seconds": 3})

    async def body(client: PixiiClient) -> list[Job]:
        return [await client.submit_a_plus(request_body()) for _ in range(11)]

    jobs = run(pixii_server, body, max_rate_wait=10.0)
    assert len({job.id for job in jobs}) == 11
    log = pixii_server.admin("GET", "requests")["requests"]
    statuses = [e["status"] for e in log if e["path"].endswith("/a_plus")]
    assert statuses.count(202) == 11 and 429 in statuses


def test_concurrent_submissions_admit_exactly_the_limit_and_charge_once_each(
        pixii_server: PixiiServer) -> None:
    async def body(client: PixiiClient) -> list[Job | BaseException]:
        return await asyncio.gather(*(client.submit_a_plus(request_body()) for _ in range(16)),
                                    return_exceptions=True)

    results = run(pixii_server, body, max_rate_wait=0)
    accepted = [r for r in results if isinstance(r, Job)]
    refused = [r for r in results if not isinstance(r, Job)]
    assert len(accepted) == 10 and all(isinstance(r, RateLimitMinuteExceeded) for r in refused)
    assert len({job.id for job in accepted}) == 10
    assert pixii_server.state()["balance"] == 1000 - 10 * 20


def test_daily_limit(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "limits", {"per_day": 1})

    async def body(client: PixiiClient) -> None:
        await client.submit_a_plus(request_body())
        await client.submit_a_plus(request_body())

    with pytest.raises(RateLimitDayExceeded) as caught:
        run(pixii_server, body, max_rate_wait=5.0)
    assert "daily" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (request_body() | {"types": ["A+ Basic", "A+ Basic"]}, "types"),
        (request_body(country_code="XX"), "country_code"),
        (request_body(user_prompt=""), "user_prompt"),
        (request_body(other_image_urls=[]), "other_image_urls"),
    ],
)
def test_validation_error_carries_the_detail(pixii_server: PixiiServer, body: dict[str, Any],
                                              field: str) -> None:
    with pytest.raises(PixiiValidationError) as caught:
        run(pixii_server, lambda c: c.submit_a_plus(body))
    assert field in str(caught.value) and caught.value.code == "VALIDATION_ERROR"


def test_no_active_brand_points_at_the_dashboard(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "brand", {"active": False})
    with pytest.raises(NoActiveBrand) as caught:
        run(pixii_server, lambda c: c.submit_a_plus(request_body()))
    assert "brand" in str(caught.value) and "Pixii dashboard" in str(caught.value)


def test_unauthorized_names_the_variable_not_the_key(pixii_server: PixiiServer,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    secret = "pk_live_do_not_print_4f9a2c"
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        async with PixiiClient(pixii_server.endpoint, secret) as client:
            await client.get_job("job_x")

    with pytest.raises(PixiiUnauthorized) as caught:
        asyncio.run(main())
    assert "PIXII_API_KEY" in str(caught.value)
    assert secret not in str(caught.value) and secret not in repr(caught.value)
    assert secret not in caplog.text


def test_unknown_job(pixii_server: PixiiServer) -> None:
    with pytest.raises(JobNotFound) as caught:
        run(pixii_server, lambda c: c.get_job("job_missing"))
    assert "job_missing" in str(caught.value)


def test_wait_is_bounded(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "job-seconds", {"seconds": 1000})

    async def body(client: PixiiClient) -> None:
        job = await client.submit_a_plus(request_body())
        await client.wait(job.id, interval=FAST, timeout=0.2)

    with pytest.raises(JobTimeout) as caught:
        run(pixii_server, body)
    assert "resume" in str(caught.value)


def test_polling_retries_a_transient_503_but_a_submit_500_is_raised(pixii_server: PixiiServer) -> None:
    async def body(client: PixiiClient) -> Job:
        job = await client.submit_a_plus(request_body())
        pixii_server.admin("POST", "faults", {"kind": "503", "count": 2, "retry_after": 0})
        return await client.wait(job.id, interval=FAST, timeout=30)

    assert run(pixii_server, body, backoff=0.01).status == "completed"
    pixii_server.admin("POST", "faults", {"kind": "500", "count": 1})
    with pytest.raises(PixiiInternalError):
        run(pixii_server, lambda c: c.submit_a_plus(request_body()), backoff=0.01)
    log = pixii_server.admin("GET", "requests")["requests"]
    assert [e["status"] for e in log if e["path"].endswith("/a_plus")] == [202, 500]
    pixii_server.admin("POST", "faults", {"kind": "503", "count": 5, "retry_after": 0})
    with pytest.raises(PixiiUnavailable):
        run(pixii_server, lambda c: c.list_jobs("B0PIXIITST"), backoff=0.01, max_retries=1)


def test_a_dropped_submission_is_not_retried_and_says_so(pixii_server: PixiiServer) -> None:
    pixii_server.admin("POST", "faults", {"kind": "drop", "count": 1})
    with pytest.raises(SubmitOutcomeUnknown) as caught:
        run(pixii_server, lambda c: c.submit_a_plus(request_body(asin="B0DROPPED1")))
    assert "List the ASIN's jobs" in str(caught.value)
    # It did reach Pixii: one job, charged once, which the caller can find by ASIN.
    listed = run(pixii_server, lambda c: c.list_jobs("B0DROPPED1"))
    assert len(listed) == 1 and pixii_server.state()["balance"] == 980


def test_a_dropped_poll_is_retried(pixii_server: PixiiServer) -> None:
    async def body(client: PixiiClient) -> Job:
        job = await client.submit_a_plus(request_body())
        pixii_server.admin("POST", "faults", {"kind": "drop", "count": 2})
        return await client.wait(job.id, interval=FAST, timeout=30)

    assert run(pixii_server, body, backoff=0.01).status == "completed"


def test_an_unreachable_endpoint_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def main() -> None:
        async with PixiiClient(f"http://127.0.0.1:{port}/pixii", KEY, backoff=0.01) as client:
            await client.submit_a_plus(request_body())

    with pytest.raises(PixiiConnectionError) as caught:
        asyncio.run(main())
    assert "APLUSCTL_PIXII_ENDPOINT" in str(caught.value) and KEY not in str(caught.value)
    assert not isinstance(caught.value, SubmitOutcomeUnknown)


def test_expired_results_are_reported(pixii_server: PixiiServer) -> None:
    async def body(client: PixiiClient) -> Job:
        job = await client.submit_a_plus(request_body())
        return await client.wait(job.id, interval=FAST, timeout=30)

    job = run(pixii_server, body)
    pixii_server.admin("PUT", "clock", {"offset_seconds": 8 * 86400})
    again = run(pixii_server, lambda c: c.get_job(job.id))
    assert again.expired
    with pytest.raises(ResultExpired) as caught:
        run(pixii_server, lambda c: c.download(job.variants[0].modules[0]))
    assert "7 days" in str(caught.value) and "signature" not in str(caught.value)


def test_download_refuses_non_images_and_bad_signatures(pixii_server: PixiiServer) -> None:
    job = run(pixii_server, _finished)
    url = job.variants[0].modules[0]
    with pytest.raises(DownloadError) as caught:
        run(pixii_server, lambda c: c.download(url.replace("signature=", "signature=f")))
    assert "signature=" not in str(caught.value)
    with pytest.raises(NotAnImage):
        run(pixii_server, lambda c: c.download(f"{pixii_server.endpoint}/_sandbox/state"))


async def _finished(client: PixiiClient) -> Job:
    job = await client.submit_a_plus(request_body())
    return await client.wait(job.id, interval=FAST, timeout=30)


def test_list_jobs_follows_pages(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "limits", {"per_minute": 100})

    async def body(client: PixiiClient) -> tuple[list[str], list[str]]:
        ids = [(await client.submit_a_plus(request_body(asin="B0PAGED001"))).id for _ in range(23)]
        return ids, [summary.id for summary in await client.list_jobs("B0PAGED001")]

    submitted, listed = run(pixii_server, body)
    assert listed == submitted[::-1]


def test_a_job_resumes_after_the_sandbox_restarts(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "job-seconds", {"seconds": 1000})
    job = run(pixii_server, lambda c: c.submit_a_plus(request_body("A+ Premium")))
    pixii_server.restart()
    pixii_server.admin("POST", "clock", {"advance_seconds": 2000})
    done = run(pixii_server, lambda c: c.wait(job.id, interval=FAST, timeout=30))
    assert done.status == "completed"
    assert run(pixii_server, lambda c: c.download(done.variants[0].preview or ""))


# --- reading Pixii's answers: both envelopes, codes before statuses ---------------------------


@pytest.mark.parametrize("style", ["standard", "enveloped", "bare"])
def test_every_answer_shape_is_read(pixii_server: PixiiServer, style: str) -> None:
    pixii_server.admin("PUT", "envelope", {"style": style})
    progress: list[str] = []

    async def note(job: Job) -> None:   # an async callback is awaited
        progress.append(job.status)

    async def body(client: PixiiClient) -> tuple[Job, list[str], bytes]:
        job = await client.submit_a_plus(request_body(asin="B0SHAPES01"))
        done = await client.wait(job.id, interval=FAST, timeout=30, on_progress=note)
        listed = [summary.id for summary in await client.list_jobs("B0SHAPES01")]
        return done, listed, await client.download(done.variants[0].modules[0])

    done, listed, image = run(pixii_server, body)
    assert done.status == "completed" and listed == [done.id] and check_image(image) == "png"
    assert progress[-1] == "completed"
    pixii_server.admin("PUT", "credits", {"balance": 0})
    with pytest.raises(InsufficientCredits):
        run(pixii_server, lambda c: c.submit_a_plus(request_body()))
    with pytest.raises(JobNotFound):
        run(pixii_server, lambda c: c.get_job("job_missing"))


def test_parse_job_accepts_the_generic_preview_url_shape() -> None:
    job = parse_job({"id": "j1", "status": "completed", "credit_cost": 40,
                     "completed_at": "2020-01-01T00:00:00Z",
                     "output": {"ads": [{"type": "A+ Basic", "preview_url": "https://x/p.png",
                                         "modules": ["https://x/1.png"], "error": None},
                                        {"type": "A+ Premium", "preview_url": None,
                                         "error": {"code": "E", "message": "m"}}]}})
    assert job.variants[0].preview == "https://x/p.png" and job.credits_refunded == 20
    assert job.expired   # completed long ago: past the 7 days


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "INSUFFICIENT_CREDITS", InsufficientCredits),   # the errors page's status
        (402, None, InsufficientCredits),
        (422, None, NoActiveBrand),                           # the errors page's status
        (400, "NO_ACTIVE_BRAND", NoActiveBrand),
        (400, None, PixiiValidationError),
        (401, None, PixiiUnauthorized),
        (404, "JOB_NOT_FOUND", JobNotFound),
        (429, "RATE_LIMIT_DAY_EXCEEDED", RateLimitDayExceeded),
        (500, "INTERNAL_ERROR", PixiiInternalError),
        (503, "SERVICE_UNAVAILABLE", PixiiUnavailable),
        (500, "SERVICE_UNAVAILABLE", PixiiUnavailable),
    ],
)
def test_errors_map_by_code_first(status: int, code: str | None, kind: type) -> None:
    error = from_answer(status, code, "m", None, None, types=["A+ Basic"])
    assert isinstance(error, kind) and isinstance(error, UserError)
