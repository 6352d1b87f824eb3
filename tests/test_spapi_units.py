"""Pure pieces of the SP-API client: bucket math, backoff, headers, credentials, errors, uploads."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import platform
import random

import httpx
import pytest

from aplusctl import __version__
from aplusctl.credentials import (
    MissingCredential,
    SpApiCredentials,
    lwa_endpoint,
    pixii_api_key,
    pixii_endpoint,
    spapi_endpoint,
)
from aplusctl.errors import UserError
from aplusctl.marketplaces import LWA_TOKEN_URL
from aplusctl.redact import redact, url_without_query
from aplusctl.spapi.auth import token_url
from aplusctl.spapi.errors import (
    CreateOutcomeUnknown,
    InvalidInput,
    LwaError,
    SpApiError,
    Throttled,
    Unauthorized,
)
from aplusctl.spapi.ratelimit import DEFAULT_USAGE_PLANS, RateLimiter, TokenBucket, UsagePlan, parse_rate_limit
from aplusctl.http_common import parse_retry_after, user_agent
from aplusctl.spapi.retry import RetryPolicy, send_with_retries
from aplusctl.spapi.uploads import (
    UploadDestination,
    content_md5_b64,
    explain_s3_error,
    form_fields,
    parse_s3_error,
    presigned_post,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---- token bucket ------------------------------------------------------------------------------


def test_every_aplus_operation_and_uploads_default_to_10_rps_burst_10() -> None:
    assert len(DEFAULT_USAGE_PLANS) == 11
    assert all(plan == UsagePlan(10.0, 10) for plan in DEFAULT_USAGE_PLANS.values())


def test_bucket_starts_full_less_the_jitter_allowance_and_refills_at_the_margin_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(UsagePlan(10.0, 10), jitter=0.1, margin=0.01, clock=clock)
    taken = sum(bucket.try_take() for _ in range(20))
    assert taken == 9
    assert bucket.delay() == pytest.approx(1 / 9.9)
    clock.now += 1 / 9.9
    assert bucket.try_take()
    assert not bucket.try_take()


def test_bucket_without_jitter_allowance_uses_the_whole_burst() -> None:
    bucket = TokenBucket(UsagePlan(10.0, 10), jitter=0.0, margin=0.0, clock=FakeClock())
    assert sum(bucket.try_take() for _ in range(20)) == 10


def test_default_bucket_holds_back_150ms_of_the_plan() -> None:
    bucket = TokenBucket(UsagePlan(10.0, 10), clock=FakeClock())
    assert bucket.capacity == pytest.approx(8.5)
    assert bucket.target_rate == pytest.approx(9.9)


def test_burst_of_one_spaces_sends_by_the_jitter_allowance_instead() -> None:
    clock = FakeClock()
    bucket = TokenBucket(UsagePlan(1.0, 1), jitter=0.1, margin=0.0, clock=clock)
    assert bucket.capacity == 1
    assert bucket.try_take()
    assert bucket.delay() == pytest.approx(1.1)


def test_bucket_never_fills_beyond_capacity() -> None:
    clock = FakeClock()
    bucket = TokenBucket(UsagePlan(10.0, 10), jitter=0.1, clock=clock)
    clock.now += 3600
    assert bucket.tokens == 9


def test_long_run_rate_never_exceeds_the_plan() -> None:
    """Simulated: greedy takes over 60 s never beat burst + rate × t at the server."""
    clock = FakeClock()
    bucket = TokenBucket(UsagePlan(10.0, 10), clock=clock)
    start = clock.now
    sends: list[float] = []
    while clock.now - start < 60:
        if bucket.try_take():
            sends.append(clock.now - start)
        else:
            clock.now += bucket.delay()
    for i, t in enumerate(sends):
        assert i + 1 <= 10 + 10 * t + 1e-9


def test_a_429_empties_the_bucket_halves_the_rate_then_recovers() -> None:
    clock = FakeClock()
    bucket = TokenBucket(UsagePlan(10.0, 10), margin=0.0, clock=clock)
    bucket.throttled()
    assert bucket.tokens <= 0
    assert bucket.rate == 5.0
    bucket.throttled()  # the same wave of in-flight requests: no second cut
    assert bucket.rate == 5.0
    clock.now += 1.5
    bucket.throttled()
    assert bucket.rate == 2.5
    for _ in range(100):
        bucket.succeeded()
    assert bucket.rate == 10.0


def test_rate_never_falls_below_the_floor() -> None:
    clock = FakeClock()
    bucket = TokenBucket(UsagePlan(10.0, 10), margin=0.0, clock=clock)
    for _ in range(20):
        clock.now += 2
        bucket.throttled()
    assert bucket.rate == pytest.approx(10 / 16)


def test_retry_after_pauses_the_bucket() -> None:
    clock = FakeClock()
    bucket = TokenBucket(UsagePlan(10.0, 10), clock=clock)
    bucket.throttled(retry_after=3.0)
    assert bucket.delay() >= 3.0
    clock.now += 3.0
    assert 0 < bucket.delay() < 1.0


def test_rate_limit_header_reseeds_the_plan() -> None:
    clock = FakeClock()
    bucket = TokenBucket(UsagePlan(10.0, 10), margin=0.0, clock=clock)
    bucket.observe_limit(1.0)
    assert bucket.plan == UsagePlan(1.0, 1)
    assert bucket.rate == pytest.approx(1 / 1.15)  # burst 1: the jitter allowance slows the refill
    assert bucket.tokens <= 1
    bucket.observe_limit(20.0)
    assert bucket.plan.rate == 20.0 and bucket.rate == bucket.target_rate > 1.0


def test_acquire_is_fifo_and_paced() -> None:
    async def run() -> list[int]:
        bucket = TokenBucket(UsagePlan(200.0, 2), jitter=0.0, margin=0.0)
        order: list[int] = []

        async def one(i: int) -> None:
            await bucket.acquire()
            order.append(i)

        await asyncio.gather(*(one(i) for i in range(10)))
        return order

    assert asyncio.run(run()) == list(range(10))


def test_limiter_gives_unknown_operations_the_conservative_plan() -> None:
    limiter = RateLimiter({"getContentDocument": UsagePlan(5.0, 3)}, clock=FakeClock())
    assert limiter.bucket("getContentDocument").plan == UsagePlan(5.0, 3)
    assert limiter.bucket("somethingNew").plan == UsagePlan(1.0, 1)
    assert limiter.bucket("getContentDocument") is limiter.bucket("getContentDocument")


@pytest.mark.parametrize(("value", "rate"), [("10.0", 10.0), (" 0.5 ", 0.5), ("", None), ("x", None), ("0", None), ("nan", None)])
def test_parse_rate_limit(value: str, rate: float | None) -> None:
    assert parse_rate_limit(value) == rate


# ---- retry -------------------------------------------------------------------------------------


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0, rng=random.Random(7))
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        waits = [policy.backoff(attempt) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8  # jitter spans the range


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy(cap=5.0)
    assert policy.backoff(1, retry_after=2.0) == 2.0
    assert policy.backoff(1, retry_after=60.0) == 5.0


def test_retries_are_bounded_in_count_and_total_time() -> None:
    policy = RetryPolicy(max_attempts=3, base=1.0, cap=1.0, max_total=10.0, rng=random.Random(1))
    assert policy.next_wait(1, 0.0, 0.0) is not None
    assert policy.next_wait(3, 0.0, 0.0) is None
    assert policy.next_wait(1, 0.0, 9.5, retry_after=1.0) is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("3", 3.0), ("0.5", 0.5), ("", None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, now=2_000_000_000.0) == seconds


def test_send_with_retries_stops_at_the_first_final_answer() -> None:
    answers = iter([503, 429, 404, 200])
    tries: list[str] = []

    async def send() -> httpx.Response:
        return httpx.Response(next(answers), headers={"retry-after": "0"})

    policy = RetryPolicy(max_attempts=6, base=0.0)
    outcome = asyncio.run(send_with_retries(send, policy, lambda what, t0, response, attempt: tries.append(what)))
    assert outcome.response is not None and outcome.response.status_code == 404
    assert (outcome.failure, outcome.attempts, tries) == ("", 3, ["503", "429", "404"])


def test_send_with_retries_reports_the_last_failure_when_the_budget_is_spent() -> None:
    async def refused() -> httpx.Response:
        raise httpx.ConnectError("refused")

    outcome = asyncio.run(send_with_retries(refused, RetryPolicy(max_attempts=2, base=0.0), lambda *_: None))
    assert (outcome.response, outcome.failure, outcome.attempts) == (None, "ConnectError", 2)

    async def busy() -> httpx.Response:
        return httpx.Response(503)

    outcome = asyncio.run(send_with_retries(busy, RetryPolicy(max_attempts=2, base=0.0), lambda *_: None))
    assert outcome.response is not None and (outcome.failure, outcome.attempts) == ("HTTP 503", 2)


def test_parse_retry_after_http_date_in_the_future() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)


# ---- user agent --------------------------------------------------------------------------------


def test_user_agent_has_amazons_form() -> None:
    agent = user_agent()
    assert agent.startswith(f"aplusctl/{__version__} (Language=Python/{platform.python_version()}; Platform=")
    assert agent.endswith(")")
    assert len(agent) <= 500


# ---- credentials -------------------------------------------------------------------------------

ENV = {
    "LWA_APP_ID": "amzn1.application-oa2-client.unit",
    "LWA_CLIENT_SECRET": "unit-client-secret-abc",
    "SP_API_REFRESH_TOKEN": "Atzr|unit-refresh-token-xyz",
}


def test_credentials_from_env_hide_their_secrets() -> None:
    creds = SpApiCredentials.from_env(ENV)
    assert creds.client_secret == "unit-client-secret-abc"
    text = repr(creds) + str(creds)
    assert "unit-client-secret-abc" not in text and "unit-refresh-token-xyz" not in text
    assert "amzn1.application-oa2-client.unit" in text
    assert redact("secret unit-client-secret-abc") == "secret ***"


@pytest.mark.parametrize("name", sorted(ENV))
def test_a_missing_variable_is_named(name: str) -> None:
    env = {k: v for k, v in ENV.items() if k != name}
    with pytest.raises(MissingCredential, match=name) as info:
        SpApiCredentials.from_env(env)
    assert isinstance(info.value, UserError)


def test_pixii_key_is_required_and_registered() -> None:
    with pytest.raises(MissingCredential, match="PIXII_API_KEY"):
        pixii_api_key({})
    assert pixii_api_key({"PIXII_API_KEY": "pk_unit_key_123"}) == "pk_unit_key_123"
    assert "pk_unit_key_123" not in redact("key pk_unit_key_123")


def test_endpoints_default_to_amazon_and_honour_overrides() -> None:
    assert spapi_endpoint("eu", {}) == "https://sellingpartnerapi-eu.amazon.com"
    assert spapi_endpoint("NA", {"APLUSCTL_SPAPI_ENDPOINT": "http://127.0.0.1:9/"}) == "http://127.0.0.1:9"
    assert lwa_endpoint({}) == LWA_TOKEN_URL
    assert lwa_endpoint({"APLUSCTL_LWA_ENDPOINT": "http://127.0.0.1:9/auth/o2/token"}).endswith("/auth/o2/token")
    assert pixii_endpoint({}) == "https://api.pixii.ai"
    with pytest.raises(UserError, match="region"):
        spapi_endpoint("XX", {})


def test_token_url_accepts_a_bare_host() -> None:
    assert token_url("http://127.0.0.1:9") == "http://127.0.0.1:9/auth/o2/token"
    assert token_url(LWA_TOKEN_URL) == LWA_TOKEN_URL


# ---- errors ------------------------------------------------------------------------------------


def test_unauthorized_explains_the_role_and_reauthorisation() -> None:
    error = Unauthorized(403, "Unauthorized", "Access to requested resource is denied.", None, "rid-1", "getContentDocument")
    text = str(error)
    assert "Product Listing" in text and "authorise the app again" in text
    assert "rid-1" in text and "HTTP 403" in text and "getContentDocument" in text
    assert isinstance(error, SpApiError) and isinstance(error, UserError)


def test_invalid_input_names_the_field() -> None:
    error = InvalidInput(400, "InvalidInput", "Invalid input.", "contentDocument.name exceeds 100 characters")
    assert error.field == "contentDocument.name"
    assert "field: contentDocument.name" in str(error)


def test_error_messages_are_redacted() -> None:
    error = Throttled(429, "QuotaExceeded", "token Atza|leaky-token was used", None)
    assert "leaky-token" not in str(error)
    assert issubclass(CreateOutcomeUnknown, SpApiError)


@pytest.mark.parametrize(
    ("error", "needle"),
    [("invalid_grant", "re-authorise"), ("invalid_client", "LWA_APP_ID and LWA_CLIENT_SECRET")],
)
def test_lwa_errors_say_what_to_do(error: str, needle: str) -> None:
    assert needle in str(LwaError(400, error, "x"))


# ---- uploads -----------------------------------------------------------------------------------


def test_content_md5_is_base64_of_the_raw_digest() -> None:
    data = b"\x89PNG fake"
    assert base64.b64decode(content_md5_b64(data)) == hashlib.md5(data).digest()


def test_presigned_url_becomes_form_fields_and_a_url_without_query() -> None:
    url = "https://aplus-media.s3.amazonaws.com/?key=sc%2Fab.png&acl=private&policy=eyJ%3D&x-amz-signature=ff"
    assert form_fields(url) == [("key", "sc/ab.png"), ("acl", "private"), ("policy", "eyJ="), ("x-amz-signature", "ff")]
    assert url_without_query(url) == "https://aplus-media.s3.amazonaws.com/"
    dest = UploadDestination("sc/ab.png", url)
    assert "x-amz-signature" not in repr(dest) and "eyJ" not in repr(dest)


def test_s3_md5_mismatch_is_explained() -> None:
    xml = (
        "<?xml version='1.0'?><Error><Code>BadDigest</Code><Message>The Content-MD5 you specified did not "
        "match what we received.</Message><RequestId>R1</RequestId></Error>"
    )
    error = parse_s3_error(xml)
    assert (error.code, error.request_id) == ("BadDigest", "R1")
    assert "MD5 does not match" in explain_s3_error(error)


def test_s3_non_xml_error_is_kept_short() -> None:
    error = parse_s3_error("<html>" + "x" * 1000)
    assert error.code is None and len(error.message) <= 200


def test_presigned_post_sends_decoded_fields_then_the_file_last() -> None:
    url = "https://aplus-media.s3.amazonaws.com/?key=sc%2Fab.png&acl=private&policy=eyJ%3D&x-amz-signature=ff"
    form = presigned_post(UploadDestination("sc/ab.png", url), b"PNGDATA", "image/png", "hero.png")
    assert form.url == "https://aplus-media.s3.amazonaws.com/"
    request = httpx.Request("POST", form.url, data=form.fields, files=form.files)
    body = request.read().decode("latin-1")
    names = [part.split('"')[1] for part in body.split("Content-Disposition: form-data; name=")[1:]]
    assert names == ["key", "acl", "policy", "x-amz-signature", "file"]
    assert 'name="key"\r\n\r\nsc/ab.png\r\n' in body and "eyJ=" in body
    assert body.rindex("PNGDATA") > body.rindex('name="x-amz-signature"')
