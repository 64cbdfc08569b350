"""Back-office pages of invoices and billing runs through the TestClient: a run from the page,
a dry run, finalizing, payments, isolation and roles.

The test clock reads 15 Jan 2026 (Paris). Pages speak French (the organization's language):
amounts read `218,81 €` (narrow no-break space before the euro sign), dates DD/MM/YYYY.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tarif.clock import FixedClock
from tarif.context import Actor, Ctx
from tarif.db.repository import PageRequest
from tarif.db.session import session_factory
from tarif.invoicing import service, service_runs
from tarif.invoicing.run_progress import TRACKER
from tarif.tenancy.rules import Role
from tests.conftest import Tenant
from tests.contracts.conftest import build_world
from tests.invoicing.conftest import JAN_15, hosting_contract
from tests.invoicing.usage_world import seed_with_turnover
from tests.web.conftest import MakeUser, admin, browser, csrf_token, log_in, make_user

__all__ = ["admin", "browser", "make_user"]  # fixtures shared with tests/web
pytestmark = pytest.mark.usefixtures("fast_argon2")

T = TypeVar("T")
Run = Callable[[Callable[[Ctx], T]], T]


@pytest.fixture
def run(engine: Engine, clock: FixedClock, tenant: Tenant) -> Run[Any]:
    """Runs `fn(ctx)` in the test organization's own committed unit of work."""

    def do(fn: Callable[[Ctx], T]) -> T:
        with session_factory(engine)() as session:
            result = fn(Ctx(session, tenant.id, Actor.system("test"), clock))
            session.commit()
            return result

    return do


@pytest.fixture
def contract_id(run: Run[str]) -> str:
    """Hosting at 399.00 a month in advance, calendar-aligned, running from 15 Jan 2026."""
    return run(lambda ctx: hosting_contract(build_world(ctx)).id)


def text(fragment: str) -> str:
    """The page's text with entities decoded and no-break spaces as plain spaces."""
    return html.unescape(fragment).replace("\u202f", " ").replace("\xa0", " ")


def error_of(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="error"[^>]*data-field="{re.escape(field)}">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else None


def post(client: TestClient, path: str, page: str, **data: str) -> Any:
    return client.post(path, data=data | {"csrf_token": csrf_token(page)}, follow_redirects=False)


def bill(client: TestClient, as_of: str = "2026-01-15", **extra: str) -> Any:
    """Starts a run from the page; a real run is then watched until it redirects to its page."""
    started = post(client, "/billing-runs", client.get("/billing-runs").text, as_of=as_of, **extra)
    if started.status_code != 303 or "/progress/" not in started.headers["location"]:
        return started
    return finished(client, started.headers["location"])


@dataclass
class Finished:
    """A finished run as its progress page links it: `headers["location"]` is the run's page."""

    headers: dict[str, str]
    status_code: int = 303


def finished(client: TestClient, progress_url: str) -> Finished:
    """Polls a run's progress page until it says the run is complete and links its page."""
    for _ in range(400):
        step = client.get(progress_url, follow_redirects=False)
        assert step.status_code == 200, step.text
        if 'data-state="completed"' in step.text:
            link = re.search(r'id="run-link" href="([^"]+)"', step.text)
            assert link is not None, step.text
            return Finished({"location": link.group(1)})
        assert 'data-state="running"' in step.text, step.text
        time.sleep(0.025)
    raise AssertionError(f"the run at {progress_url} did not finish")


def invoice_ids(run: Run[list[str]]) -> list[str]:
    return run(lambda ctx: [i.id for i in service.list_invoices(ctx, PageRequest(limit=100)).items])


def test_a_run_from_the_page_makes_the_prorated_draft_shown_in_french(
    admin: TestClient, contract_id: str, run: Run[Any]
) -> None:
    made = bill(admin)
    assert made.status_code == 303
    run_page = admin.get(made.headers["location"])
    assert run_page.status_code == 200
    # 15 → 31 Jan is 17 of January's 31 days: 399.00 × 17/31 = 218.806… → 218.81 net;
    # VAT 20 %: 218.81 × 0.20 = 43.762 → 43.76; gross 218.81 + 43.76 = 262.57.
    page = text(run_page.text)
    assert "218,81 €" in page and "43,76 €" in page and "262,57 €" in page
    [invoice_id] = invoice_ids(run)
    listing = text(admin.get("/invoices").text)
    assert f'data-invoice-id="{invoice_id}"' in listing and "brouillon" in listing
    detail = text(admin.get(f"/invoices/{invoice_id}").text)
    assert "15/01/2026 → 31/01/2026" in detail  # the period shown inclusive
    assert "399,00 €" in detail  # the unit price the line came from
    # The line's VAT: 218.81 × 20 / 100 = 43.762 → 43.76, the same as the 20 % breakdown entry.
    assert detail.count("20 %") == 2 and detail.count("43,76 €") == 3  # line, breakdown, total
    assert contract_id in detail  # "why this amount" names the contract
    assert 'id="finalize"' in detail and 'id="payment-form"' not in detail


def test_a_dry_run_shows_the_invoice_and_writes_nothing(
    admin: TestClient, contract_id: str, run: Run[Any]
) -> None:
    preview = bill(admin, dry_run="on")
    assert preview.status_code == 200
    page = text(preview.text)
    assert 'id="preview"' in page and "262,57 €" in page  # the same €399 case as above
    assert invoice_ids(run) == []
    assert run(lambda ctx: service.list_runs(ctx, PageRequest()).items) == []


def test_previews_link_the_open_draft_new_lines_would_join(
    admin: TestClient, run: Run[Any]
) -> None:
    from tarif.customers.models import Customer

    def two_contracts_one_billed(ctx: Ctx) -> str:
        world = build_world(ctx)
        first = hosting_contract(world)
        service.run_billing(ctx, JAN_15)  # the customer's draft of 15 Jan
        customer = ctx.session.get_one(Customer, first.customer_id)
        hosting_contract(world, customer, reference="C-SECOND")
        return customer.id

    customer_id = run(two_contracts_one_billed)
    [draft_id] = invoice_ids(run)
    # the second contract's 15 → 31 Jan (218.81, 262.57 gross) goes on that draft
    page = text(bill(admin, dry_run="on").text)
    assert f'href="/invoices/{draft_id}">ajoutées au brouillon ouvert' in page
    assert "262,57 €" in page
    upcoming = text(admin.get(f"/customers/{customer_id}/upcoming-invoice").text)
    assert "Ces lignes s'ajoutent au brouillon ouvert" in upcoming
    assert f'href="/invoices/{draft_id}"' in upcoming
    assert invoice_ids(run) == [draft_id]  # nothing written


def test_a_run_before_the_last_runs_date_is_refused_inline(
    admin: TestClient, contract_id: str
) -> None:
    assert bill(admin, "2026-01-20").status_code == 303
    refused = bill(admin, "2026-01-16")
    assert refused.status_code == 422
    assert "before the last run's date (2026-01-20)" in text(refused.text)
    assert error_of(bill(admin, "15 janvier").text, "as_of") == "not a date (YYYY-MM-DD)"


def test_finalize_then_a_partial_payment_then_an_overpayment_refused_inline(
    admin: TestClient, contract_id: str, run: Run[Any], clock: FixedClock
) -> None:
    bill(admin)
    [invoice_id] = invoice_ids(run)
    url = f"/invoices/{invoice_id}"
    finalized = post(admin, f"{url}/finalize", admin.get(url).text)
    assert finalized.status_code == 303
    page = admin.get(url).text
    assert 'id="invoice-number">F-2026-000001<' in page  # the organization's first number
    assert 'id="finalize"' not in page and 'id="payment-form"' in page
    clock.advance(timedelta(days=5))  # the money arrives on 20 Jan
    paid = post(admin, f"{url}/payments", page, amount="100.00", date="2026-01-20")
    assert paid.status_code == 303
    page = text(admin.get(url).text)
    assert "Partiellement payée" in page
    # 262.57 gross − 100.00 paid = 162.57 still due.
    assert "100,00 €" in page and "162,57 €" in page
    assert "20/01/2026" in page  # the payment's date, as typed
    too_much = post(admin, f"{url}/payments", page, amount="200.00")
    assert too_much.status_code == 422
    assert error_of(too_much.text, "amount") == "more than the 162.57 still due"
    assert 'value="200.00"' in too_much.text  # the form keeps what was typed
    assert run(lambda ctx: service.get_invoice(ctx, invoice_id).amount_paid) == Decimal("100.00")


def test_the_list_filters_by_status(admin: TestClient, contract_id: str, run: Run[Any]) -> None:
    bill(admin)
    [invoice_id] = invoice_ids(run)
    assert invoice_id in admin.get("/invoices", params={"status": "draft"}).text
    assert invoice_id not in admin.get("/invoices", params={"status": "paid"}).text


def test_another_organizations_invoice_and_run_are_not_found(
    admin: TestClient, make_tenant: Callable[..., Tenant], engine: Engine, clock: FixedClock
) -> None:
    other = make_tenant("Other SAS")
    with session_factory(engine)() as session:
        ctx = Ctx(session, other.id, Actor.system("test"), clock)
        hosting_contract(build_world(ctx))
        outcome = service.run_billing(ctx, JAN_15)
        assert outcome.run is not None
        run_id, invoice_id = outcome.run.id, outcome.invoices[0].invoice_id
        session.commit()
    assert admin.get(f"/invoices/{invoice_id}").status_code == 404
    assert admin.get(f"/billing-runs/{run_id}").status_code == 404
    page = admin.get("/invoices").text
    assert invoice_id not in page
    assert post(admin, f"/invoices/{invoice_id}/finalize", page).status_code == 404


def test_a_read_only_user_sees_no_write_button_and_gets_403_on_post(
    browser: TestClient, make_user: MakeUser, contract_id: str, run: Run[Any]
) -> None:
    run(lambda ctx: service.run_billing(ctx, JAN_15))
    [invoice_id] = invoice_ids(run)
    log_in(browser, make_user(Role.READ_ONLY))
    runs = browser.get("/billing-runs").text
    assert 'id="run-form"' not in runs
    page = browser.get(f"/invoices/{invoice_id}").text
    assert 'id="finalize"' not in page
    assert post(browser, f"/invoices/{invoice_id}/finalize", page).status_code == 403
    assert post(browser, "/billing-runs", page, as_of="2026-02-01").status_code == 403
    assert run(lambda ctx: service.get_invoice(ctx, invoice_id).status) == "draft"


def test_a_run_page_shows_only_the_invoices_that_run_made(
    admin: TestClient, contract_id: str, run: Run[Any]
) -> None:
    january = admin.get(bill(admin, "2026-01-15").headers["location"])
    february = admin.get(bill(admin, "2026-02-01").headers["location"])
    # January's run bills [15 Jan, 1 Feb): 218.81 net, 262.57 gross (see above); February's run
    # bills [1 Feb, 1 Mar) in full: 399.00 net, VAT 79.80, gross 478.80.
    assert "262,57 €" in text(january.text) and "478,80 €" not in text(january.text)
    assert "478,80 €" in text(february.text) and "262,57 €" not in text(february.text)
    assert len(invoice_ids(run)) == 2


def test_a_run_from_the_page_shows_its_progress_then_its_page(
    admin: TestClient, contract_id: str, run: Run[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run waits on a gate after its first contract, so the page sees it half-way.
    gate, reached = threading.Event(), threading.Event()
    real_run = service_runs.run_billing

    def slow_run(ctx: Ctx, as_of: Any, **kwargs: Any) -> Any:
        def progress(done: int, total: int) -> None:
            kwargs["progress"](done, total)
            reached.set()
            assert gate.wait(10)

        return real_run(ctx, as_of, **(kwargs | {"progress": progress}))

    monkeypatch.setattr(service, "run_billing", slow_run)
    started = post(admin, "/billing-runs", admin.get("/billing-runs").text, as_of="2026-01-15")
    assert started.status_code == 303
    progress_url = started.headers["location"]
    assert reached.wait(10)
    half_way = admin.get(progress_url, follow_redirects=False)
    assert 'data-state="running"' in half_way.text
    assert '<progress max="1" value="1"' in half_way.text  # one contract of one done
    assert invoice_ids(run) == []  # one transaction: nothing is visible before the end
    gate.set()
    done = finished(admin, progress_url)
    assert done.headers["location"].startswith("/billing-runs/run_")
    # htmx polls the fragment: a finished run answers with HX-Redirect to the run's page.
    polled = admin.get(progress_url, headers={"HX-Request": "true"}, follow_redirects=False)
    assert polled.headers["HX-Redirect"] == done.headers["location"]
    assert len(invoice_ids(run)) == 1


def test_a_run_that_fails_says_so_and_writes_nothing(
    admin: TestClient, contract_id: str, run: Run[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "run_billing", broken)
    started = post(admin, "/billing-runs", admin.get("/billing-runs").text, as_of="2026-01-15")
    url = started.headers["location"]
    for _ in range(400):
        page = admin.get(url, follow_redirects=False)
        if 'data-state="failed"' in page.text:
            break
        time.sleep(0.025)
    assert "La facturation a échoué : rien n'a été écrit." in text(page.text)
    assert invoice_ids(run) == []


def test_another_organizations_run_progress_is_not_found(
    admin: TestClient, make_tenant: Callable[..., Tenant], engine: Engine, clock: FixedClock
) -> None:
    other = make_tenant("Other SAS")
    progress = TRACKER.start(
        session_factory(engine), other.id, Actor.system("test"), clock, JAN_15, wait=True
    )
    assert progress.state == "completed"
    assert admin.get(f"/billing-runs/progress/{progress.token}").status_code == 404


def test_a_run_queued_from_the_page_goes_to_its_job(
    admin: TestClient, contract_id: str, engine: Engine, clock: FixedClock, tenant: Tenant
) -> None:
    from tarif.jobs.worker import Worker

    queued = bill(admin, background="on")
    assert queued.status_code == 303
    job_page = admin.get(queued.headers["location"])
    assert job_page.status_code == 200 and "billing.run" in job_page.text
    worker = Worker(session_factory(engine), clock=clock, organization_id=tenant.id)
    assert worker.run_until_idle() == 1
    assert "218,81" in text(admin.get("/invoices").text)  # 399 × 17/31, the draft the job made
    refused = bill(admin, background="on", dry_run="on")
    assert refused.status_code == 422
    assert error_of(refused.text, "background") == "a dry run is shown at once, not queued"


def test_the_customers_next_invoice_page(
    admin: TestClient, contract_id: str, run: Run[Any]
) -> None:
    from tarif.contracts import service_store

    customer_id = run(lambda ctx: service_store.load_contract(ctx, contract_id).customer_id)
    customer_page = admin.get(f"/customers/{customer_id}")
    assert f'href="/customers/{customer_id}/upcoming-invoice"' in customer_page.text
    page = admin.get(f"/customers/{customer_id}/upcoming-invoice")
    assert page.status_code == 200
    shown = text(page.text)
    # 15 → 31 Jan: 399.00 × 17/31 = 218.81 net, VAT 43.76, gross 262.57; in French
    assert "Prochaine facture" in shown and "15/01/2026" in shown
    assert "218,81 €" in shown and "262,57 €" in shown
    assert "rien n'est enregistré" in shown
    assert invoice_ids(run) == []  # nothing written


def test_usage_lines_show_plain_quantities_and_the_aggregation_in_french(
    admin: TestClient, run: Run[Any], clock: FixedClock
) -> None:
    run(seed_with_turnover)
    clock.advance(timedelta(days=18))  # 2 Feb 2026: January's turnover is billed on 1 Feb
    run(lambda ctx: service.run_billing(ctx, date(2026, 2, 1)))
    detail = "".join(text(admin.get(f"/invoices/{i}").text) for i in invoice_ids(run))
    # January's turnover, 100 + 250 + 50 + 1,000 = 1,400.00: digits, never `1.4E+3`
    assert '<td class="num">1400</td>' in detail and "E+" not in detail
    # "why this amount" names the aggregation in the page's language, not its code
    assert "Somme (<code>amount</code>)" in detail and "sum(amount)" not in detail
