"""`tarif coupons …` through Typer's CliRunner (clock: 15 Jan 2026)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from tarif.cli.main import app
from tarif.clock import FixedClock
from tarif.context import Ctx
from tests.conftest import START, Tenant
from tests.contracts.conftest import build_world
from tests.invoicing.conftest import hosting_contract


@pytest.fixture
def reference(ctx: Ctx) -> str:
    contract = hosting_contract(build_world(ctx))
    ctx.session.commit()
    return contract.reference


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tenant: Tenant):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "test-secret-key")
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: FixedClock(START))
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, [*args, "--org", tenant.id])

    return invoke


def test_create_show_redeem_remove_archive(run, reference: str) -> None:  # type: ignore[no-untyped-def]
    made = run(
        "coupons", "create", "welcome20", "--percent", "20", "--duration", "repeating",
        "--months", "3", "--json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    coupon = json.loads(made.stdout)
    assert (coupon["code"], coupon["value"], coupon["duration_months"]) == ("WELCOME20", "20", 3)
    listed = run("coupons", "list", "--json")
    assert [c["code"] for c in json.loads(listed.stdout)] == ["WELCOME20"]
    # made at the command's 09:30 UTC: changed since 09:00, not since 09:31
    since = run("coupons", "list", "--updated-since", "2026-01-15T09:00:00Z", "--json")
    assert [c["code"] for c in json.loads(since.stdout)] == ["WELCOME20"]
    later = run("coupons", "list", "--updated-since", "2026-01-15T09:31:00Z", "--json")
    assert json.loads(later.stdout) == []
    bad = run("coupons", "list", "--updated-since", "yesterday")
    assert bad.exit_code == 1 and "--updated-since: expected a timestamp" in bad.stderr
    redeemed = run("coupons", "redeem", reference, "welcome20", "--json")
    assert redeemed.exit_code == 0, redeemed.output
    redemption = json.loads(redeemed.stdout)
    # 15 Jan 2026 + 3 months = 15 Apr 2026 (exclusive)
    assert (redemption["redeemed_on"], redemption["ends_on"]) == ("2026-01-15", "2026-04-15")
    shown = json.loads(run("coupons", "show", "WELCOME20", "--json").stdout)
    assert shown["redemptions_count"] == 1
    assert [r["id"] for r in shown["redemptions"]] == [redemption["id"]]
    on_contract = json.loads(run("coupons", "redemptions", reference, "--json").stdout)
    assert [r["status"] for r in on_contract] == ["active"]
    removed = run("coupons", "remove", reference, redemption["id"])
    assert removed.exit_code == 0, removed.output
    on_contract = json.loads(run("coupons", "redemptions", reference, "--json").stdout)
    assert [r["status"] for r in on_contract] == ["removed"]
    archived = run("coupons", "archive", "WELCOME20")
    assert archived.exit_code == 0 and "archived" in archived.stdout


def test_bad_input_is_one_line_on_stderr(run, reference: str) -> None:  # type: ignore[no-untyped-def]
    both = run("coupons", "create", "X", "--percent", "20", "--amount", "5")
    assert both.exit_code == 1 and "either --percent or --amount" in both.stderr
    fixed = run("coupons", "create", "X", "--amount", "5")
    assert fixed.exit_code == 1 and "currency" in fixed.stderr
    assert len(fixed.stderr.strip().splitlines()) == 1
    expired = run("coupons", "create", "XMAS", "--percent", "10", "--until", "2025-12-31")
    assert expired.exit_code == 0, expired.output
    refused = run("coupons", "redeem", reference, "XMAS")
    assert refused.exit_code == 1 and "XMAS" in refused.stderr
    missing = run("coupons", "show", "NOPE")
    assert missing.exit_code == 1 and "not found" in missing.stderr


def test_update_changes_name_limit_and_window(run) -> None:  # type: ignore[no-untyped-def]
    made = run("coupons", "create", "SPRING", "--percent", "10", "--limit", "5")
    assert made.exit_code == 0, made.output
    updated = run(
        "coupons", "update", "spring", "--name", "Spring offer", "--limit", "8",
        "--until", "2026-03-31", "--json",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    read = json.loads(updated.stdout)
    assert (read["name"], read["max_redemptions"], read["redeemable_until"]) == (
        "Spring offer",
        8,
        "2026-03-31",
    )
    cleared = run("coupons", "update", "SPRING", "--no-limit", "--until", "", "--json")
    assert cleared.exit_code == 0, cleared.output
    read = json.loads(cleared.stdout)
    assert (read["max_redemptions"], read["redeemable_until"]) == (None, None)
    said = run("coupons", "update", "SPRING", "--name", "Spring")
    assert said.exit_code == 0 and "coupon SPRING updated" in said.stdout


def test_update_bad_input_is_one_line(run) -> None:  # type: ignore[no-untyped-def]
    assert run("coupons", "create", "AUTUMN", "--percent", "10").exit_code == 0
    bad_day = run("coupons", "update", "AUTUMN", "--from", "2026-02-30")
    assert bad_day.exit_code == 1
    assert bad_day.stderr.strip() == "error: --from: expected a date YYYY-MM-DD, got '2026-02-30'"
    nothing = run("coupons", "update", "AUTUMN")
    assert nothing.exit_code == 1 and "nothing to change" in nothing.stderr
    both = run("coupons", "update", "AUTUMN", "--limit", "3", "--no-limit")
    assert both.exit_code == 1 and "either --limit or --no-limit" in both.stderr
    refused = run("coupons", "update", "AUTUMN", "--from", "2026-05-01", "--until", "2026-04-01")
    assert refused.exit_code == 1 and len(refused.stderr.strip().splitlines()) == 1
    missing = run("coupons", "update", "NOPE", "--name", "x")
    assert missing.exit_code == 1 and "not found" in missing.stderr
