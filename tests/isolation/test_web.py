"""A user of tenant A in the back office, opening and posting to tenant B's objects' pages.

The pages are read from the app's routes, so a page added later is walked too; a path parameter
the suite cannot fill fails the test instead of being skipped.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tarif.tenancy.rules import Role
from tests.isolation.calls import mixes
from tests.isolation.conftest import World
from tests.isolation.openapi import PARAM
from tests.isolation.world import PASSWORD, Body, Ref, Side, new_mark
from tests.web.conftest import HTML, WebUser, csrf_token, log_in

try:  # FastAPI ≥ 0.120 keeps included routers nested; this flattens them with their prefixes.
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI lists the routes flat already
    iter_route_contexts = list  # type: ignore[assignment]

PROBLEM_DETAIL = re.compile(r'class="card problem">\s*<h1>.*?</h1>\s*<p>(.*?)</p>', re.DOTALL)
# Pages with path parameters that hold no tenant's data, and why.
NOT_TENANT_DATA = {
    "/lang/{code}": "a language code",
    "/problems/{slug}": "the public description of a problem type",
    "/static": "the stylesheet and scripts",
}
# Page parameters that name an action rather than an object: each value is tried.
ACTIONS = {"step": ("schedule", "cancel")}
# Form fields A posts: valid, so that a 404 comes from scoping and never from validation.
WEB_FORMS: dict[str, Body] = {
    "/customers/{customer_id}/edit": lambda mark: {
        "legal_name": f"{mark} Takeover SAS",
        "country": "FR",
        "currency": "EUR",
    },
    "/customers/{customer_id}/contacts": lambda mark: {"name": f"{mark} Mallory"},
    "/products/{product_id}/edit": lambda mark: {
        "code": f"{mark}-takeover",
        "name_en": "Takeover",
        "kind": "recurring",
    },
    "/pricelists/{pricelist_id}/edit": lambda mark: {"name": f"{mark} Takeover", "currency": "EUR"},
    "/pricelists/{pricelist_id}/entries": lambda mark: {
        "product_id": Ref("product_id"),
        "unit_price": "1.00",
        "periodicity": "monthly",
        "timing": "in_advance",
    },
    "/pricelists/{pricelist_id}/entries/{entry_id}/edit": lambda mark: {
        "unit_price": "1.00",
        "periodicity": "monthly",
        "timing": "in_advance",
    },
}
KNOWN_PAGES = {
    "/customers/{customer_id}",
    "/customers/{customer_id}/contacts/{contact_id}/delete",
    "/products/{product_id}/edit",
    "/pricelists/{pricelist_id}/entries/{entry_id}/edit",
    "/settings/api-keys/{key_id}/revoke",
    "/invoices/{invoice_id}/pdf",
}
# List pages and the object of A each shows (the positive control of the leak check).
LIST_PAGES_SHOWING = {
    "/customers": "customer_id",
    "/products": "product_id",
    "/pricelists": "pricelist_id",
    "/settings/api-keys": "key_id",
    "/contracts": "contract_id",
    "/contract-templates": "template_id",
}
PUBLIC_PAGES = {"/login"}


@dataclass(frozen=True)
class Page:
    method: str
    path: str
    params: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, values: dict[str, str]) -> str:
        return PARAM.sub(lambda m: values[m.group(1)], self.path)


def pages(app: FastAPI) -> Iterator[Page]:
    """Every method of every route outside the API, path parameters in order."""
    for route in iter_route_contexts(app.routes):
        path = getattr(route, "path", None)
        if not path or path == "/v1" or path.startswith("/v1/"):
            continue
        params = PARAM.findall(path) or list(getattr(route, "param_convertors", {}))
        template = PARAM.sub(lambda m: "{" + m.group(1) + "}", path)
        for method in sorted((getattr(route, "methods", None) or {"GET"}) - {"HEAD"}):
            yield Page(method, template, tuple(params))


def signed_in(app: FastAPI, side: Side) -> TestClient:
    browser = TestClient(app, headers=HTML)
    email = side.created["/v1/users"]["email"]
    log_in(browser, WebUser(email, PASSWORD, Role.ADMIN))
    return browser


@pytest.fixture
def browsers(world: World, fast_argon2: None) -> Iterator[tuple[TestClient, TestClient]]:
    with signed_in(world.app, world.a) as a, signed_in(world.app, world.b) as b:
        yield a, b


def test_every_page_of_an_object_answers_404_to_another_tenants_user(
    world: World, browsers: tuple[TestClient, TestClient]
) -> None:
    a, b = world.a, world.b
    as_a, as_b = browsers
    token = csrf_token(as_a.get("/settings").text)
    before = world.snapshot(b), world.snapshot(a)
    failures: list[str] = []
    walked: set[str] = set()
    for page in pages(world.app):
        if not page.params or page.path in NOT_TENANT_DATA:
            continue
        objects = [name for name in page.params if name not in ACTIONS]
        actions = [name for name in page.params if name in ACTIONS]
        unmapped = [name for name in objects if name not in b.ids]
        if unmapped:
            failures.append(
                f"{page}: no id of tenant B for {unmapped}; create such an object in "
                "tests/isolation/world.py, or list the page in NOT_TENANT_DATA with the reason"
            )
            continue
        walked.add(page.path)
        form = a.fill(WEB_FORMS[page.path](new_mark("a"))) if page.path in WEB_FORMS else {}
        tries = [
            (values | dict(zip(actions, chosen, strict=True)), theirs)
            for chosen in itertools.product(*(ACTIONS[name] for name in actions))
            for values, theirs in mixes(objects, a, b)
        ]
        for values, theirs in tries:
            url = page.url(values)
            if page.method == "GET":
                response = as_a.get(url, follow_redirects=False)
            else:
                data = form | {"csrf_token": token}
                response = as_a.request(page.method, url, data=data, follow_redirects=False)
            detail = PROBLEM_DETAIL.search(response.text)
            ok = (
                response.status_code == 404
                and response.headers["content-type"].startswith("text/html")
                # The error page names the object the scoped lookup could not find (every page
                # carries its own URL in the language link, so only the problem's text counts).
                and detail is not None
                and any(values[name] in detail.group(1) for name in objects)
            )
            if not ok:
                failures.append(
                    f"{page} as A with B's {', '.join(theirs)}: "
                    f"{response.status_code} {response.text[:200]}"
                )
        if page.method == "GET":
            mine = b.values_for(objects) | {name: ACTIONS[name][0] for name in actions}
            own = as_b.get(page.url(mine), follow_redirects=False)
            if own.status_code != 200:
                failures.append(f"{page} as B itself: {own.status_code}")
    assert not failures, "\n".join(failures)
    assert walked >= KNOWN_PAGES, KNOWN_PAGES - walked
    assert (world.snapshot(b), world.snapshot(a)) == before


def test_list_pages_never_show_another_tenants_objects(
    world: World, browsers: tuple[TestClient, TestClient]
) -> None:
    a, b = world.a, world.b
    as_a, _ = browsers
    lists = [
        p
        for p in pages(world.app)
        if p.method == "GET" and not p.params and p.path not in PUBLIC_PAGES
    ]
    failures = []
    for page in lists:
        for params in ({}, {"q": b.mark}, {"q": b.ids["customer_id"]}):
            response = as_a.get(page.path, params=params, follow_redirects=False)
            if response.status_code != 200:
                failures.append(f"{page} {params}: {response.status_code}")
            # The search box shows what was typed: only the rest of the page counts. B's rows
            # would still show B's ids in their links.
            elif leaked := b.leaked(response.text.replace(params.get("q", ""), "")):
                failures.append(f"{page} {params} shows B's {leaked}")
            elif not params and not _shows_own_object(page.path, response.text, a):
                failures.append(f"{page} does not show A's own object")
    for value in sorted(set(b.own_ids.values())):
        response = as_a.get("/audit", params={"object_id": value})
        if leaked := b.leaked(response.text.replace(value, "")):
            failures.append(f"/audit?object_id={value} shows B's {leaked}")
    assert not failures, "\n".join(failures)
    walked = {page.path for page in lists}
    assert {"/customers", "/products", "/pricelists", "/settings/api-keys"} <= walked


def _shows_own_object(path: str, html: str, a: Side) -> bool:
    """A list page shows A's own object: B's would have been seen there had it leaked."""
    return path not in LIST_PAGES_SHOWING or a.ids[LIST_PAGES_SHOWING[path]] in html


def test_forms_naming_another_tenants_objects_are_refused(
    world: World, browsers: tuple[TestClient, TestClient]
) -> None:
    a, b = world.a, world.b
    as_a, _ = browsers
    token = csrf_token(as_a.get("/settings").text)
    before = world.snapshot(a), world.snapshot(b)
    mark = new_mark("a")
    attempts = {
        "/customers/new": {
            "legal_name": f"{mark} SAS",
            "country": "FR",
            "currency": "EUR",
            "pricelist_id": b.ids["pricelist_id"],
        },
        f"/customers/{a.ids['customer_id']}/edit": {
            "legal_name": f"{mark} SAS",
            "country": "FR",
            "currency": "EUR",
            "pricelist_id": b.ids["pricelist_id"],
        },
        f"/pricelists/{a.ids['pricelist_id']}/entries": {
            "product_id": b.ids["product_id"],
            "unit_price": "1.00",
            "periodicity": "monthly",
            "timing": "in_advance",
        },
    }
    statuses = {
        url: as_a.post(url, data=form | {"csrf_token": token}, follow_redirects=False).status_code
        for url, form in attempts.items()
    }
    assert statuses == dict.fromkeys(attempts, 422)
    assert (world.snapshot(a), world.snapshot(b)) == before, "a refused form wrote something"
