"""redact(): registered values and secret-shaped patterns never survive; prose does."""

from __future__ import annotations

import logging
import sys

import pytest

from aplusctl import redact as redact_module
from aplusctl.pixii.errors import from_answer
from aplusctl.redact import MASK, RedactingFilter, install_log_filter, redact, register_secret, url_without_query


def test_registered_secret_is_masked_everywhere() -> None:
    register_secret("s3cr3t-value-for-redact-test")
    text = "a s3cr3t-value-for-redact-test b, again:s3cr3t-value-for-redact-test"
    assert redact(text) == f"a {MASK} b, again:{MASK}"


def test_longer_secret_containing_a_shorter_one_is_masked_whole() -> None:
    register_secret("abcd-inner")
    register_secret("xx-abcd-inner-yy")
    assert redact("v=xx-abcd-inner-yy.") == f"v={MASK}."


def test_too_short_values_are_not_registered() -> None:
    register_secret("ab")
    assert redact("a cab in lab") == "a cab in lab"


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("token Atza|IwEBIAbc-_.def=, then", "IwEBIAbc"),
        ("refresh Atzr|IwEBIQ123 end", "IwEBIQ123"),
        ("Authorization: Bearer eyJhbGciOi.xyz", "eyJhbGciOi"),
        ("x-amz-access-token: opaque-token-value", "opaque-token-value"),
        ('{"access_token": "zzz-token", "expires_in": 3600}', "zzz-token"),
        ("grant_type=refresh_token&refresh_token=rt-value&client_secret=cs-value", "cs-value"),
        ("grant_type=refresh_token&refresh_token=rt-value&client_secret=cs-value", "rt-value"),
        ("POST https://aplus-media.s3.amazonaws.com/?key=sc%2Fa.png&policy=eyJleHA&x-amz-signature=abc123 ok", "eyJleHA"),
        ("https://bucket/?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F&X-Amz-Signature=ff00", "AKIA"),
        ("field x-amz-signature=deadbeef", "deadbeef"),
        ("form policy=eyJwb2xpY3ki", "eyJwb2xpY3ki"),
        ("Pixii key pk_live_9f8e7d6c5b4a", "9f8e7d6c5b4a"),
        ("fatal: https://x-access-token:ghs_T0kenValue123@github.com/o/r.git", "T0kenValue123"),
        ("remote https://deploy:hunter2-pass@git.example.com/r.git rejected", "hunter2-pass"),
        ("token ghp_abcdefABCDEF0123456789 expired", "abcdefABCDEF0123456789"),
    ],
)
def test_secret_shaped_patterns_are_masked(text: str, leak: str) -> None:
    assert leak not in redact(text)


def test_presigned_url_keeps_its_path() -> None:
    out = redact("to http://127.0.0.1:5555/_s3/aplus-media?key=sc%2Fx.png&x-amz-signature=abc")
    assert out == f"to http://127.0.0.1:5555/_s3/aplus-media?{MASK}"


@pytest.mark.parametrize(
    "text",
    [
        "Invalid according to Policy: Policy expired.",
        "getContentDocument 200 12ms request-id=abc-123",
        "https://sellingpartnerapi-na.amazon.com/aplus/2020-11-01/contentDocuments?marketplaceId=ATVPDKIKX0DER",
        "grant_type=refresh_token",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert redact(text) == text


def test_filter_redacts_message_args_and_traceback() -> None:
    register_secret("filter-secret-9876")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "value %s", ("filter-secret-9876",), None)
    try:
        raise ValueError("boom filter-secret-9876")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "filter-secret-9876" not in formatted
    assert "value ***" in formatted


def test_installed_filter_covers_every_logger(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redact_module, "_installed", False)
    previous = logging.getLogRecordFactory()
    register_secret("installed-secret-4321")
    try:
        install_log_filter()
        install_log_filter()  # idempotent
        with caplog.at_level(logging.INFO):
            logging.getLogger("some.other.library").info("leaking %s", "installed-secret-4321")
    finally:
        logging.setLogRecordFactory(previous)
    assert "installed-secret-4321" not in caplog.text
    assert "leaking ***" in caplog.text


def test_url_without_query_keeps_what_identifies_the_resource() -> None:
    url = "https://pixii.example/assets/job_1/basic/module-01.png?expires=1700000000&signature=ab12"
    assert url_without_query(url) == "https://pixii.example/assets/job_1/basic/module-01.png"


def test_pixii_errors_never_echo_the_key() -> None:
    register_secret("pk_test_echoed_key_5150")
    error = from_answer(401, "UNAUTHORIZED", "bad key pk_test_echoed_key_5150", "got pk_test_echoed_key_5150", None)
    assert "pk_test_echoed_key_5150" not in str(error) and "pk_test_echoed_key_5150" not in (error.detail or "")
    error = from_answer(418, None, "Bearer pk_test_echoed_key_5150 refused", None, None)
    assert "echoed_key" not in str(error)
