"""Back-office pages of SmartCodes: list, new, editor, check, versions, diff, dry run."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tarif.smartcodes.demo import BILLABLE_MINUTES
from tests.invoicing.test_web import post, text
from tests.web.conftest import admin, browser, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures
pytestmark = pytest.mark.usefixtures("fast_argon2")


def create(admin: TestClient) -> str:
    form = admin.get("/smartcodes/new")
    assert form.status_code == 200 and 'id="smartcode-form"' in form.text
    made = post(
        admin,
        "/smartcodes/new",
        form.text,
        code="billable_minutes",
        name="Minutes",
        kind="valuation",
        source=BILLABLE_MINUTES,
    )
    assert made.status_code == 303, made.text
    return str(made.headers["location"])


def test_create_list_and_page_with_numbered_source(admin: TestClient) -> None:
    location = create(admin)
    listed = admin.get("/smartcodes")
    assert "billable_minutes" in listed.text and "Valorisation (par événement)" in listed.text
    page = admin.get(location)
    assert page.status_code == 200
    assert '<li id="L6">    seconds = event.properties[&#34;duration&#34;]</li>' in page.text
    assert "Essai à blanc" in page.text and "Vérifier" in page.text
    assert 'href="/smartcodes"' in admin.get("/").text  # in the navigation


def test_a_bad_source_on_create_is_shown_by_line(admin: TestClient) -> None:
    form = admin.get("/smartcodes/new")
    answer = post(
        admin,
        "/smartcodes/new",
        form.text,
        code="bad",
        kind="valuation",
        source="def value(event):\n    return open('/etc/passwd')\n",
    )
    assert answer.status_code == 422
    assert re.search(r'<tr data-line="2"><td class="num"><a href="#L2">2</a></td>', answer.text)
    assert "&#39;open&#39; is not available" in answer.text
    assert '<li id="L2" class="bad">' in answer.text


def test_check_button_answers_a_fragment(admin: TestClient) -> None:
    page = admin.get("/smartcodes/new").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    ok = admin.post(
        "/smartcodes/check",
        data={"kind": "valuation", "source": BILLABLE_MINUTES},
        headers=headers,
    )
    assert ok.status_code == 200 and 'id="source-ok"' in ok.text and "<html" not in ok.text
    bad = admin.post(
        "/smartcodes/check",
        data={"kind": "valuation", "source": "def value(event):\n    return (\n"},
        headers=headers,
    )
    assert 'data-line="2"' in bad.text and "syntax error" in bad.text


def test_save_a_version_then_diff_between_versions(admin: TestClient) -> None:
    location = create(admin)
    page = admin.get(location).text
    changed = BILLABLE_MINUTES.replace("/ 60", "/ 30")
    saved = post(admin, f"{location}/versions", page, source=changed)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    page = admin.get(saved.headers["location"]).text
    assert "Version enregistrée." in page and 'data-version="2"' in page
    unchanged = post(admin, f"{location}/versions", page, source=changed)
    assert unchanged.headers["location"].endswith("?saved=unchanged")
    diff = admin.get(f"{location}/diff?from_version=1&to_version=2")
    assert diff.status_code == 200
    assert 'class="diff_chg"' in diff.text  # the changed line is marked
    assert "v1 → v2" in text(diff.text)
    first = admin.get(f"{location}?version=1").text
    assert "v1 — test" in text(first) or "v1 —" in text(first)
    refused = post(admin, f"{location}/versions", page, source="import os\n")
    assert refused.status_code == 422 and 'data-line="1"' in refused.text


def test_dry_run_form_shows_results(admin: TestClient) -> None:
    location = create(admin)
    page = admin.get(location).text
    sample = (
        '[{"timestamp": "2026-01-15T09:30:00Z", "properties": {"duration": 61}},'
        ' {"timestamp": "2026-01-15T09:31:00Z", "properties": {"duration": 3600}}]'
    )
    ran = post(admin, f"{location}/test", page, sample=sample, version="1")
    assert ran.status_code == 200
    # ceil(61/60) = 2 and ceil(3600/60) = 60: total 62
    assert re.search(r'id="dry-run-total"><strong>Total</strong> 62<', ran.text)
    bad = post(admin, f"{location}/test", page, sample="[{", version="1")
    assert bad.status_code == 422 and 'id="dry-run-error"' in bad.text
