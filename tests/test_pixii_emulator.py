"""The sandbox's Pixii on the wire: what a third-party Pixii client would see."""

from __future__ import annotations

import io
import time
from typing import Any

import httpx
import pytest
from PIL import Image

from test_pixii_support import AUTH, KEY, PixiiServer, request_body

DAY = 86400


def _wait_done(server: PixiiServer, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        job = server.job(job_id)
        if job["status"] in ("completed", "failed"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never finished")


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False and body["data"] is None
    return body["error"]


def test_submit_answers_202_with_a_pending_job_and_rate_headers(pixii_server: PixiiServer) -> None:
    response = pixii_server.submit(request_body("A+ Basic", "A+ Premium Mobile"))
    assert response.status_code == 202
    body = response.json()
    assert body["job_id"] and body["job_type"] == "A+ Content" and body["status"] == "pending"
    assert body["created_at"].endswith("Z")
    assert body["remaining_credits"] == 1000 - 50
    assert response.headers["X-RateLimit-Limit-Minute"] == "10"
    assert response.headers["X-RateLimit-Remaining-Minute"] == "9"
    assert response.headers["X-RateLimit-Limit-Day"] == "500"
    assert response.headers["X-RateLimit-Remaining-Day"] == "499"


def test_job_moves_pending_processing_completed_on_the_sandbox_clock(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "job-seconds", {"seconds": 1000})
    job_id = pixii_server.submit(request_body("A+ Basic")).json()["job_id"]
    job = pixii_server.job(job_id)
    assert job["status"] == "pending" and job["started_at"] is None and job["output"] is None
    pixii_server.admin("POST", "clock", {"advance_seconds": 500})
    job = pixii_server.job(job_id)
    assert job["status"] == "processing" and job["started_at"] and job["completed_at"] is None
    pixii_server.admin("POST", "clock", {"advance_seconds": 600})
    job = pixii_server.job(job_id)
    assert job["status"] == "completed"
    assert job["created_at"] < job["started_at"] < job["completed_at"]
    assert job["credit_cost"] == 20 and job["credits_refunded"] == 0 and job["error_code"] is None
    assert [ad["type"] for ad in job["output"]["ads"]] == ["A+ Basic"]


SIZES = {"A+ Basic": (970, 600), "A+ Premium": (1464, 600), "A+ Premium Mobile": (600, 450)}


def test_results_are_real_pngs_at_module_size_and_deterministic(pixii_server: PixiiServer) -> None:
    types = ["A+ Basic", "A+ Premium", "A+ Premium Mobile"]
    job_id = pixii_server.submit(request_body(*types)).json()["job_id"]
    job = _wait_done(pixii_server, job_id)
    assert job["credit_cost"] == 70
    ads = job["output"]["ads"]
    assert [ad["type"] for ad in ads] == types
    for ad in ads:
        assert ad["error"] is None and len(ad["modules"]) == 5
        for url in ad["modules"]:
            response = httpx.get(url)   # signed: no Authorization needed
            assert response.status_code == 200 and response.headers["content-type"] == "image/png"
            assert len(response.content) < 100_000
            with Image.open(io.BytesIO(response.content)) as image:
                assert image.format == "PNG" and image.size == SIZES[ad["type"]]
            assert httpx.get(url).content == response.content
        preview = httpx.get(ad["preview"])
        with Image.open(io.BytesIO(preview.content)) as image:
            assert image.format == "PNG" and image.height > image.width
        assert len(preview.content) < 100_000


def test_partial_failure_refunds_the_failed_variant(pixii_server: PixiiServer) -> None:
    pixii_server.admin("POST", "fail", {"type": "A+ Premium", "mode": "next"})
    job_id = pixii_server.submit(request_body("A+ Basic", "A+ Premium")).json()["job_id"]
    assert pixii_server.state()["balance"] == 1000 - 40
    job = _wait_done(pixii_server, job_id)
    assert job["status"] == "completed" and job["credits_refunded"] == 20
    basic, premium = job["output"]["ads"]
    assert basic["error"] is None and len(basic["modules"]) == 5
    assert premium["preview"] is None and premium["modules"] == []
    assert premium["error"]["code"] == "IMAGE_GENERATION_ERROR" and premium["error"]["message"]
    assert pixii_server.state()["balance"] == 1000 - 20
    # Refunded once, however often the job is read.
    pixii_server.job(job_id)
    assert pixii_server.state()["balance"] == 1000 - 20
    # The armed failure was for the next job only.
    again = _wait_done(pixii_server, pixii_server.submit(request_body("A+ Premium")).json()["job_id"])
    assert again["output"]["ads"][0]["error"] is None


def test_every_variant_failing_fails_the_job_and_refunds_it_all(pixii_server: PixiiServer) -> None:
    pixii_server.admin("POST", "fail", {"type": "A+ Premium Mobile", "mode": "always",
                                        "code": "GENERATION_TIMEOUT"})
    job = _wait_done(pixii_server, pixii_server.submit(request_body("A+ Premium Mobile")).json()["job_id"])
    assert job["status"] == "failed" and job["error_code"] == "GENERATION_TIMEOUT"
    assert job["credits_refunded"] == job["credit_cost"] == 30 and job["output"] is None
    assert pixii_server.state()["balance"] == 1000


def test_insufficient_credits_is_402_before_any_charge(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "credits", {"balance": 30})
    response = pixii_server.submit(request_body("A+ Basic", "A+ Premium"))
    assert response.status_code == 402
    error = _error(response)
    assert error["code"] == "INSUFFICIENT_CREDITS" and "40" in error["detail"]
    assert pixii_server.state()["balance"] == 30
    assert pixii_server.submit(request_body("A+ Premium Mobile")).status_code == 202
    assert pixii_server.state()["balance"] == 0


def test_no_active_brand(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "brand", {"active": False})
    response = pixii_server.submit(request_body())
    assert response.status_code == 400 and _error(response)["code"] == "NO_ACTIVE_BRAND"
    assert pixii_server.state()["balance"] == 1000
    pixii_server.admin("PUT", "brand", {"active": True})
    assert pixii_server.submit(request_body()).status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country_code": "US", "types": ["A+ Basic"]}, "asin"),
        ({"asin": "B0PIXIITST", "types": ["A+ Basic"]}, "country_code"),
        (request_body(country_code="XX"), "country_code"),
        ({"asin": "B0PIXIITST", "country_code": "US"}, "types"),
        (request_body() | {"types": []}, "types"),
        (request_body() | {"types": ["A+ Basic", "A+ Basic"]}, "types"),
        (request_body() | {"types": ["A+ Basic", "A+ Premium", "A+ Premium Mobile", "A+ Basic"]}, "types"),
        (request_body() | {"types": ["A+ Deluxe"]}, "types"),
        (request_body(other_image_urls=[]), "other_image_urls"),
        (request_body(other_image_urls=["not a url"]), "other_image_urls"),
        (request_body(user_prompt="  "), "user_prompt"),
        (request_body(main_image_url="ftp://x/y.png"), "main_image_url"),
    ],
)
def test_validation_errors_name_the_field(pixii_server: PixiiServer, body: dict[str, Any],
                                          field: str) -> None:
    response = pixii_server.submit(body)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "VALIDATION_ERROR" and field in error["detail"]
    assert pixii_server.state()["balance"] == 1000


def test_all_25_country_codes_are_accepted(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "limits", {"per_minute": 100})
    codes = "AE AU BE BR CA CN DE EG ES FR GB IE IN IT JP MX NL PL SA SE SG TR UK US ZA".split()
    for code in codes:
        assert pixii_server.submit(request_body(country_code=code)).status_code == 202, code


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer pk_live_not_the_key"},
                                     {"Authorization": KEY}])
def test_unauthorized_without_the_bearer_key(pixii_server: PixiiServer,
                                             headers: dict[str, str]) -> None:
    for response in (pixii_server.submit(request_body(), headers=headers),
                     httpx.get(f"{pixii_server.endpoint}/v1/api/jobs/job_x", headers=headers),
                     httpx.get(f"{pixii_server.endpoint}/v1/api/jobs?asin=B0PIXIITST", headers=headers)):
        assert response.status_code == 401 and _error(response)["code"] == "UNAUTHORIZED"


def test_unknown_job_is_job_not_found(pixii_server: PixiiServer) -> None:
    response = httpx.get(f"{pixii_server.endpoint}/v1/api/jobs/job_nope", headers=AUTH)
    assert response.status_code == 404 and _error(response)["code"] == "JOB_NOT_FOUND"


def test_eleventh_submission_in_a_minute_is_429_with_headers(pixii_server: PixiiServer) -> None:
    for n in range(10):
        response = pixii_server.submit(request_body())
        assert response.status_code == 202
        assert response.headers["X-RateLimit-Remaining-Minute"] == str(9 - n)
    response = pixii_server.submit(request_body())
    assert response.status_code == 429
    error = _error(response)
    assert error["code"] == "RATE_LIMIT_MINUTE_EXCEEDED"
    assert 1 <= error["retry_after"] <= 60
    assert response.headers["Retry-After"] == str(error["retry_after"])
    assert response.headers["X-RateLimit-Remaining-Minute"] == "0"
    assert response.headers["X-RateLimit-Remaining-Day"] == "490"
    assert pixii_server.state()["balance"] == 1000 - 10 * 20
    # Polling is not limited.
    assert httpx.get(f"{pixii_server.endpoint}/v1/api/jobs?asin=B0PIXIITST", headers=AUTH).status_code == 200


def test_daily_limit_is_429_day_exceeded(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "limits", {"per_day": 2})
    assert pixii_server.submit(request_body()).status_code == 202
    assert pixii_server.submit(request_body()).status_code == 202
    response = pixii_server.submit(request_body())
    assert response.status_code == 429
    error = _error(response)
    assert error["code"] == "RATE_LIMIT_DAY_EXCEEDED" and 1 <= error["retry_after"] <= DAY
    assert response.headers["Retry-After"] == str(error["retry_after"])
    assert response.headers["X-RateLimit-Remaining-Day"] == "0"


def test_list_jobs_newest_first_with_paging(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "limits", {"per_minute": 100})
    ids = [pixii_server.submit(request_body(asin="B0LISTED01")).json()["job_id"] for _ in range(3)]
    pixii_server.submit(request_body(asin="B0OTHER001"))
    url = f"{pixii_server.endpoint}/v1/api/jobs"
    body = httpx.get(url, params={"asin": "B0LISTED01"}, headers=AUTH).json()
    assert [job["id"] for job in body["data"]] == ids[::-1]
    assert body["total"] == 3 and body["page"] == 1 and body["limit"] == 20
    assert set(body["data"][0]) == {"id", "job_type", "status", "created_at"}
    page2 = httpx.get(url, params={"asin": "B0LISTED01", "limit": 2, "page": 2}, headers=AUTH).json()
    assert [job["id"] for job in page2["data"]] == [ids[0]]
    bad = httpx.get(url, params={"asin": "B0"}, headers=AUTH)
    assert bad.status_code == 400 and _error(bad)["code"] == "VALIDATION_ERROR"


def test_tampered_signed_url_is_403(pixii_server: PixiiServer) -> None:
    job = _wait_done(pixii_server, pixii_server.submit(request_body()).json()["job_id"])
    url = job["output"]["ads"][0]["modules"][0]
    assert httpx.get(url.replace("module-01", "module-02")).status_code == 403
    assert httpx.get(url.split("?")[0]).status_code == 403
    # A signed URL is its own credential; an API key alongside is refused (as storage does).
    with_key = httpx.get(url, headers=AUTH)
    assert with_key.status_code == 400 and _error(with_key)["code"] == "INVALID_ARGUMENT"
    expires = url.split("expires=")[1].split("&")[0]
    assert httpx.get(url.replace(f"expires={expires}", f"expires={int(expires) + 1}")).status_code == 403


def test_results_expire_after_seven_days(pixii_server: PixiiServer) -> None:
    job = _wait_done(pixii_server, pixii_server.submit(request_body()).json()["job_id"])
    url = job["output"]["ads"][0]["preview"]
    assert job["expired"] is False and job["expires_at"]
    pixii_server.admin("PUT", "clock", {"offset_seconds": 6 * DAY})
    assert httpx.get(url).status_code == 200
    pixii_server.admin("PUT", "clock", {"offset_seconds": 7 * DAY + 60})
    response = httpx.get(url)
    assert response.status_code in (403, 410) and _error(response)["code"] == "URL_EXPIRED"
    assert pixii_server.job(job["id"])["expired"] is True


def test_state_survives_a_restart_on_the_same_db(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "job-seconds", {"seconds": 1000})
    pixii_server.admin("POST", "fail", {"type": "A+ Premium"})
    job_id = pixii_server.submit(request_body("A+ Basic", "A+ Premium")).json()["job_id"]
    pixii_server.restart()
    assert pixii_server.job(job_id)["status"] == "pending"
    # The minute window is persisted too.
    assert pixii_server.submit(request_body()).headers["X-RateLimit-Remaining-Minute"] == "8"
    assert pixii_server.state()["balance"] == 940
    pixii_server.admin("PUT", "credits", {"balance": 960})
    assert pixii_server.state()["balance"] == 960
    pixii_server.admin("POST", "clock", {"advance_seconds": 2000})
    job = pixii_server.job(job_id)
    assert job["status"] == "completed" and job["credits_refunded"] == 20
    assert pixii_server.state()["balance"] == 980
    url = job["output"]["ads"][0]["modules"][0]
    assert url.startswith(pixii_server.endpoint + "/assets/")
    assert httpx.get(url).status_code == 200


def test_request_log_records_calls_but_never_the_key(pixii_server: PixiiServer) -> None:
    job = _wait_done(pixii_server, pixii_server.submit(request_body()).json()["job_id"])
    httpx.get(job["output"]["ads"][0]["modules"][0])
    pixii_server.submit(request_body(), headers={"Authorization": "Bearer pk_live_leaky_secret"})
    response = httpx.get(f"{pixii_server.endpoint}/_sandbox/requests")
    log = response.json()["requests"]
    assert {"time", "method", "path", "status", "code"} <= set(log[0])
    assert any(e["path"] == "/pixii/v1/api/a_plus" and e["status"] == 202 for e in log)
    assert any(e["status"] == 401 and e["code"] == "UNAUTHORIZED" for e in log)
    assert KEY not in response.text and "pk_live_leaky_secret" not in response.text
    assert "signature" not in response.text


def test_injected_faults_answer_500_and_503(pixii_server: PixiiServer) -> None:
    pixii_server.admin("POST", "faults", {"kind": "503", "count": 1})
    response = pixii_server.submit(request_body())
    assert response.status_code == 503 and _error(response)["code"] == "SERVICE_UNAVAILABLE"
    assert "Retry-After" in response.headers
    pixii_server.admin("POST", "faults", {"kind": "500", "count": 1})
    response = httpx.get(f"{pixii_server.endpoint}/v1/api/jobs/job_x", headers=AUTH)
    assert response.status_code == 500 and _error(response)["code"] == "INTERNAL_ERROR"
    assert pixii_server.submit(request_body()).status_code == 202
    assert pixii_server.state()["balance"] == 980


def test_admin_api_is_absent_without_admin(no_admin_server: PixiiServer) -> None:
    assert httpx.get(f"{no_admin_server.endpoint}/_sandbox/state").status_code == 404
    assert httpx.post(f"{no_admin_server.endpoint}/_sandbox/credits",
                      json={"balance": 10**6}).status_code == 404
    assert no_admin_server.submit(request_body()).status_code == 202


def test_envelope_styles(pixii_server: PixiiServer) -> None:
    pixii_server.admin("PUT", "envelope", {"style": "enveloped"})
    response = pixii_server.submit(request_body())
    body = response.json()
    assert response.status_code == 202 and body["success"] is True and body["error"] is None
    assert body["data"]["status"] == "pending" and "X-RateLimit-Remaining-Minute" in response.headers
    pixii_server.admin("PUT", "envelope", {"style": "bare"})
    response = pixii_server.submit(request_body(country_code="XX"))
    assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
