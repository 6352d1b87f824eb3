"""LWA token exchange, token expiry and usage-plan throttling."""

from __future__ import annotations

import math
import time
from typing import Any

import httpx

from aplusctl.sandbox.server import EmbeddedSandbox
from test_sandbox_aplus import DOCS, US, create, login


def token_request(sb: EmbeddedSandbox, **override: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": sb.env["SP_API_REFRESH_TOKEN"],
            "client_id": sb.env["LWA_APP_ID"], "client_secret": sb.env["LWA_CLIENT_SECRET"], **override}
    return httpx.post(sb.env["APLUSCTL_LWA_ENDPOINT"], data={k: v for k, v in form.items() if v})


def test_lwa_issues_bearer_tokens(sandbox: EmbeddedSandbox) -> None:
    r = token_request(sandbox)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("Atza|")
    assert body["refresh_token"] == sandbox.env["SP_API_REFRESH_TOKEN"]


def test_lwa_oauth_errors(sandbox: EmbeddedSandbox) -> None:
    cases: list[tuple[dict[str, str], int, str]] = [
        ({"refresh_token": "Atzr|someone-else"}, 400, "invalid_grant"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "amzn1.application-oa2-client.other"}, 401, "invalid_client"),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({"refresh_token": ""}, 400, "invalid_request"),
    ]
    for override, status, error in cases:
        r = token_request(sandbox, **override)
        assert (r.status_code, r.json()["error"]) == (status, error), override
        assert r.json()["error_description"]
        assert "access_token" not in r.json()


def test_missing_unknown_and_expired_tokens_get_403(make_sandbox: Any) -> None:
    sb = make_sandbox()
    c = login(sb)
    create(c)
    anonymous = httpx.Client(base_url=sb.base_url)
    r = anonymous.get(DOCS, params={"marketplaceId": US})
    assert r.status_code == 403
    err = r.json()["errors"][0]
    assert (err["code"], err["details"]) == ("Unauthorized", "Access token is missing in the request header.")
    assert r.headers["x-amzn-RequestId"] and "x-amzn-RateLimit-Limit" not in r.headers
    r = anonymous.get(DOCS, params={"marketplaceId": US}, headers={"x-amz-access-token": "Atza|forged"})
    assert r.status_code == 403 and "invalid" in r.json()["errors"][0]["details"]
    # expiry: the admin expires every token; the old one stops working, a fresh one works
    assert c.post("/_sandbox/tokens/expire").status_code == 200
    r = c.get(DOCS, params={"marketplaceId": US})
    assert r.status_code == 403 and r.json()["errors"][0]["code"] == "Unauthorized"
    assert login(sb).get(DOCS, params={"marketplaceId": US}).status_code == 200


def test_short_token_ttl_expires_by_itself(make_sandbox: Any) -> None:
    sb = make_sandbox(token_ttl=1)
    r = token_request(sb)
    assert r.json()["expires_in"] == 1
    headers = {"x-amz-access-token": r.json()["access_token"]}
    assert httpx.get(sb.base_url + DOCS, params={"marketplaceId": US}, headers=headers).status_code == 200
    time.sleep(1.1)
    assert httpx.get(sb.base_url + DOCS, params={"marketplaceId": US}, headers=headers).status_code == 403


def test_grantless_token_cannot_call_aplus(sandbox: EmbeddedSandbox) -> None:
    r = token_request(sandbox, grant_type="client_credentials", refresh_token="",
                      scope="sellingpartnerapi::notifications")
    assert r.status_code == 200
    r = httpx.get(sandbox.base_url + DOCS, params={"marketplaceId": US},
                  headers={"x-amz-access-token": r.json()["access_token"]})
    assert r.status_code == 403


def test_burst_beyond_the_usage_plan_gets_429(sandbox: EmbeddedSandbox) -> None:
    c = login(sandbox)
    statuses = []
    started = time.monotonic()
    for _ in range(25):
        r = c.get(DOCS, params={"marketplaceId": US})
        statuses.append(r.status_code)
        assert r.headers["x-amzn-RequestId"]
        if r.status_code == 200:
            assert r.headers["x-amzn-RateLimit-Limit"] == "10.0"
        else:
            assert r.status_code == 429
            assert r.json() == {"errors": [{"code": "QuotaExceeded",
                                            "message": "You exceeded your quota for the requested resource."}]}
    elapsed = time.monotonic() - started
    # burst 10, then throttled: only the refill (10 rps over however long the loop took) passes
    assert statuses[:10] == [200] * 10
    assert statuses.count(200) <= 10 + math.ceil(10 * elapsed), (elapsed, statuses)
    assert 429 in statuses
    # buckets are per operation: another operation is unaffected
    key_r = c.post(DOCS, params={"marketplaceId": US},
                   json={"contentDocument": {"name": "n", "contentType": "EBC", "locale": "en-US",
                                             "contentModuleList": [{"contentModuleType": "STANDARD_TEXT",
                                                                    "standardText": {"body": {"textList": [{"value": "v"}]}}}]}})
    assert key_r.status_code == 200
    # the admin can refill the buckets
    c.post("/_sandbox/ratelimits/reset")
    assert c.get(DOCS, params={"marketplaceId": US}).status_code == 200


def test_rate_scale_zero_lifts_limits(make_sandbox: Any) -> None:
    c = login(make_sandbox(rate_scale=0))
    assert {c.get(DOCS, params={"marketplaceId": US}).status_code for _ in range(40)} == {200}


def test_rate_scale_multiplies_the_plan(make_sandbox: Any) -> None:
    c = login(make_sandbox(rate_scale=0.5))
    statuses: list[int] = []
    started = time.monotonic()
    while 429 not in statuses and len(statuses) < 60:
        statuses.append(c.get(DOCS, params={"marketplaceId": US}).status_code)
    elapsed = time.monotonic() - started
    # burst 5 and 5 rps: the plan's halves, whatever the pace of the loop
    assert statuses[:5] == [200] * 5 and 429 in statuses
    assert statuses.count(200) <= 5 + math.ceil(5 * elapsed), (elapsed, statuses)
    assert c.get(DOCS, params={"marketplaceId": US}).headers.get("x-amzn-RateLimit-Limit") in (None, "5.0")
