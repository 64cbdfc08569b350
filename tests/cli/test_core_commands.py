"""`tarif db upgrade` and `tarif demo load`."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, inspect, select

from tarif.cli.main import app
from tarif.db.models import metadata
from tarif.db.session import make_engine, session_factory
from tarif.demo.loader import DEMO_API_KEY, DEMO_EMAIL, DEMO_ORG_ID
from tarif.tenancy.models import ApiKey, Organization, User
from tests.cli.conftest import Tarif

pytestmark = pytest.mark.usefixtures("fast_argon2")


def tenancy_counts(engine: Engine) -> tuple[int, int, int]:
    with session_factory(engine)() as session:
        orgs = session.scalar(select(func.count()).where(Organization.id == DEMO_ORG_ID))
        users = session.scalar(select(func.count()).where(User.organization_id == DEMO_ORG_ID))
        keys = session.scalar(select(func.count()).where(ApiKey.organization_id == DEMO_ORG_ID))
    return int(orgs or 0), int(users or 0), int(keys or 0)


def test_demo_load_twice_changes_nothing(tarif: Tarif, engine: Engine, client: TestClient) -> None:
    first = tarif("demo", "load")
    assert first.code == 0, first.err
    assert f"demo organization: {DEMO_ORG_ID}" in first.out
    assert f"demo API key: {DEMO_API_KEY}" in first.out
    counts = tenancy_counts(engine)
    # One organization, one demo user, one demo key.
    assert counts == (1, 1, 1)

    second = tarif("demo", "load")
    assert second.code == 0, second.err
    assert second.out == first.out
    assert tenancy_counts(engine) == counts

    with session_factory(engine)() as session:
        user = session.scalars(select(User).where(User.email == DEMO_EMAIL)).one()
        assert (user.organization_id, user.role) == (DEMO_ORG_ID, "admin")
    org = client.get("/v1/organization", headers={"Authorization": f"Bearer {DEMO_API_KEY}"})
    assert org.json()["legal_name"] == "Nuage Démo SAS"


def test_db_upgrade_creates_the_tables_on_a_fresh_file(
    cli_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    url = f"sqlite:///{tmp_path / 'sub' / 'fresh.db'}"  # the folder does not exist yet
    monkeypatch.setenv("TARIF_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "database at revision head" in result.stdout
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_commands_on_a_database_without_tables_fail_in_one_line(
    cli_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    monkeypatch.setenv("TARIF_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(app, ["orgs", "list"], catch_exceptions=False)
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: database error: no such table")
    assert "tarif db upgrade" in lines[0]


def test_bad_usage_exits_non_zero(tarif: Tarif) -> None:
    run = tarif("orgs", "create")  # the NAME argument is missing
    assert run.code == 2
    assert "Missing argument" in run.err


def test_usage_errors_are_one_line_on_stderr(tarif: Tarif) -> None:
    # Like every other error: one line scripts can read, exit code 2 for usage
    bad_choice = tarif("contracts", "list", "--status", "nonsense")
    assert bad_choice.code == 2
    assert bad_choice.err.splitlines() == [
        "error: Invalid value for '--status': Value error, 'nonsense' is not one of 'draft', "
        "'pending', 'active', 'suspended', 'terminated'. (see tarif contracts list --help)"
    ]
    unknown = tarif("invoices", "list", "--nope")
    assert (unknown.code, unknown.err.splitlines()) == (
        2,
        ["error: No such option: --nope (Possible options: --to) (see tarif invoices list --help)"],
    )
    # `tarif` alone is a request for help, not an error
    alone = tarif()
    assert "Usage: tarif" in alone.out + alone.err and "error:" not in alone.err
