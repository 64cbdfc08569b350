"""Billing runs queued as jobs and made by a worker (today: 15 Jan 2026; hosting 399.00 a
month from 15 Jan)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tarif.context import Ctx
from tarif.db.session import session_factory
from tarif.invoicing.models import Invoice
from tarif.jobs.models import Job
from tarif.jobs.worker import Worker
from tests.contracts.conftest import World
from tests.invoicing.test_invoice_api import ok, problem, shop  # noqa: F401
from tests.invoicing.test_invoice_cli import run  # noqa: F401
from tests.jobs.conftest import make_worker  # noqa: F401

RUNS = ("billing.run",)  # the run alone: its finalized invoices queue their rendering


def invoices(engine: Engine, organization_id: str) -> list[tuple[str, Decimal]]:
    with session_factory(engine)() as session:
        stmt = select(Invoice.status, Invoice.gross_total).where(
            Invoice.organization_id == organization_id
        )
        return [(status, gross) for status, gross in session.execute(stmt)]


def test_a_run_queued_over_http_is_made_by_the_worker(
    api: TestClient,
    shop: World,  # noqa: F811
    ctx: Ctx,
    engine: Engine,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    answer = api.post("/v1/billing-runs/jobs", json={"as_of": "2026-01-15", "finalize": True})
    job = ok(answer, 202)
    assert answer.headers["location"] == f"/v1/jobs/{job['id']}"
    assert (job["kind"], job["status"], job["payload"]["as_of"]) == (
        "billing.run",
        "queued",
        "2026-01-15",
    )
    assert invoices(engine, ctx.organization_id) == []  # nothing made in the request
    assert make_worker(kinds=RUNS).run_until_idle() == 1
    done = ok(api.get(f"/v1/jobs/{job['id']}"))
    assert (done["status"], done["payload"]["invoices"], done["payload"]["finalized"]) == (
        "done",
        1,
        1,
    )
    made_run = ok(api.get(f"/v1/billing-runs/{done['payload']['run_id']}"))
    assert made_run["invoices_created"] == 1
    # 399 × 17/31 = 218.81 + 20 % VAT 43.76 = 262.57, finalized by the run
    assert invoices(engine, ctx.organization_id) == [("finalized", Decimal("262.57"))]


def test_a_queued_run_checks_its_fields_and_its_date(
    api: TestClient,
    shop: World,  # noqa: F811
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:
    dry = problem(
        api.post("/v1/billing-runs/jobs", json={"as_of": "2026-01-15", "dry_run": True}), 422
    )
    assert [e["field"] for e in dry["errors"]] == ["dry_run"]  # a preview is answered at once
    ok(api.post("/v1/billing-runs", json={"as_of": "2026-01-20"}), 201)
    earlier = problem(api.post("/v1/billing-runs/jobs", json={"as_of": "2026-01-15"}), 409)
    assert "2026-01-20" in earlier["detail"]  # not before the last run, as a run now
    assert make_worker(kinds=RUNS).run_until_idle() == 0


def test_tarif_bill_run_background_queues_the_run(
    run,  # noqa: F811
    shop: World,  # noqa: F811
    ctx: Ctx,
    engine: Engine,
    make_worker: Callable[..., Worker],  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    queued = run("bill", "run", "--as-of", "2026-01-15", "--background", "--json")
    assert queued.exit_code == 0, queued.output
    job = json.loads(queued.stdout)
    assert (job["kind"], job["payload"]["finalize"]) == ("billing.run", False)
    assert make_worker(kinds=RUNS).run_until_idle() == 1
    # the draft of 262.57 (399 × 17/31 + 20 % VAT), not finalized
    assert invoices(engine, ctx.organization_id) == [("draft", Decimal("262.57"))]
    refused = run("bill", "run", "--as-of", "2026-01-15", "--background", "--dry-run")
    assert refused.exit_code == 2
    assert "drop --background" in refused.output
    with session_factory(engine)() as session:
        kinds = session.scalars(select(Job.kind).where(Job.organization_id == ctx.organization_id))
        assert list(kinds) == ["billing.run"]
