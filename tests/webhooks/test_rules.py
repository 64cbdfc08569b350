"""Signatures, URL checks and event types (pure)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from tarif.webhooks.rules import (
    envelope,
    event_type_problems,
    sign,
    signature_header,
    url_problem,
    verify,
)

SECRET = "whsec_test"
BODY = '{"id":"evt_1","type":"invoice.finalized"}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(
        b"whsec_test", b'1768469400.{"id":"evt_1","type":"invoice.finalized"}', hashlib.sha256
    ).hexdigest()
    assert sign(SECRET, 1768469400, BODY) == expected
    assert signature_header(SECRET, 1768469400, BODY) == f"t=1768469400,v1={expected}"


def test_verify_accepts_a_fresh_signature_and_refuses_the_rest() -> None:
    header = signature_header(SECRET, 1768469400, BODY)
    assert verify(header, SECRET, BODY, now=1768469400 + 300)  # 5 minutes: still fresh
    assert not verify(header, SECRET, BODY, now=1768469400 + 301)  # too old
    assert not verify(header, "whsec_other", BODY, now=1768469400)
    assert not verify(header, SECRET, BODY + " ", now=1768469400)  # another body
    assert not verify("t=abc,v1=00", SECRET, BODY, now=1768469400)


def test_the_envelope_is_stable_json() -> None:
    at = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    assert envelope("evt_1", "invoice.finalized", at, "org_1", {"b": 1, "a": "x"}) == (
        '{"created_at":"2026-01-15T09:30:00Z","data":{"a":"x","b":1},"id":"evt_1",'
        '"organization_id":"org_1","type":"invoice.finalized"}'
    )


def test_url_checks() -> None:
    assert url_problem("https://example.com/hooks") is None
    assert url_problem("http://127.0.0.1:8080/x") is None
    assert url_problem("ftp://example.com") == "must start with https:// (or http://)"
    assert url_problem("https://") == "a URL with a host is expected"
    assert url_problem("https://u:p@example.com") is not None
    assert url_problem("https://example.com/a b") == "a URL has no spaces"
    assert url_problem("https://example.com:99999") == "not a valid URL"


def test_event_types() -> None:
    assert event_type_problems(["invoice.finalized", "usage.alert"]) == []
    assert event_type_problems([]) == [(-1, "at least one event type")]
    assert event_type_problems(["invoice.finalized", "invoice.paid", "invoice.finalized"]) == [
        (1, "unknown event type 'invoice.paid'"),
        (2, "'invoice.finalized' is listed twice"),
    ]
