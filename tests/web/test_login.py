"""Signing in and out of the back office: redirects, sessions, cookies and CSRF."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, MakeUser, csrf_token, log_in


def _post_login(
    client: TestClient, email: str, password: str, next_path: str = "/"
) -> httpx.Response:
    token = csrf_token(client.get("/login").text)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )


def test_signed_out_visitor_is_sent_to_login_with_the_page_to_come_back_to(
    browser: TestClient,
) -> None:
    response = browser.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"


def test_the_query_string_survives_the_detour_through_login(browser: TestClient) -> None:
    response = browser.get("/audit?object_id=org_1", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/audit%3Fobject_id%3Dorg_1"


def test_wrong_password_shows_the_form_again_with_the_error(
    browser: TestClient, make_user: MakeUser
) -> None:
    user = make_user()
    response = _post_login(browser, user.email, "not the password")
    assert response.status_code == 401
    assert "E-mail ou mot de passe incorrect" in response.text
    assert f'value="{user.email}"' in response.text  # the e-mail is kept, the password is not
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_right_password_redirects_to_next(browser: TestClient, make_user: MakeUser) -> None:
    response = _post_login(browser, make_user().email, PASSWORD, "/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings"
    assert browser.get("/settings").status_code == 200


def test_next_only_goes_to_local_paths(browser: TestClient, make_user: MakeUser) -> None:
    user = make_user()
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example", "evil"):
        browser.cookies.clear()
        response = _post_login(browser, user.email, PASSWORD, target)
        assert response.status_code == 303
        assert response.headers["location"] == "/", target


def test_session_cookie_is_http_only_and_same_site_lax(
    browser: TestClient, make_user: MakeUser
) -> None:
    response = _post_login(browser, make_user().email, PASSWORD)
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("tarif_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_login_starts_a_new_session_with_a_fresh_csrf_token(
    browser: TestClient, make_user: MakeUser
) -> None:
    before = csrf_token(browser.get("/login").text)
    log_in(browser, make_user())
    after = csrf_token(browser.get("/settings").text)
    assert after != before


def test_login_form_without_its_csrf_token_is_refused(
    browser: TestClient, make_user: MakeUser
) -> None:
    user = make_user()
    browser.get("/login")
    response = browser.post(
        "/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "Votre session a expiré" in response.text
    assert browser.get("/", follow_redirects=False).status_code == 303  # still signed out


def test_logout_clears_the_session(admin: TestClient) -> None:
    token = csrf_token(admin.get("/").text)
    response = admin.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert admin.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


def test_logout_without_or_with_a_wrong_csrf_token_is_refused(admin: TestClient) -> None:
    for data in ({}, {"csrf_token": "forged"}):
        response = admin.post("/logout", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert admin.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_htmx_request_when_signed_out_gets_an_hx_redirect(browser: TestClient) -> None:
    response = browser.get(
        "/audit",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/settings?tab=1"},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=/settings%3Ftab%3D1"


def test_language_chosen_on_the_login_page_is_kept_after_login(
    browser: TestClient, make_user: MakeUser
) -> None:
    browser.get("/lang/en?next=/login")
    log_in(browser, make_user())
    page = browser.get("/").text
    assert ">Settings<" in page
    assert "Paramètres" not in page
