"""`tarif orgs|users|keys …`: the key is the last line, --json everywhere, one-line errors."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tarif.clock import FixedClock
from tarif.db.session import session_factory
from tarif.tenancy.models import ApiKey, User
from tests.cli.conftest import Run, Tarif

pytestmark = pytest.mark.usefixtures("fast_argon2")


def one_line_error(run: Run, contains: str) -> None:
    assert run.code != 0
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("error: ")
    assert contains in lines[0]


def new_org(tarif: Tarif, name: str = "Cli SAS", *options: str) -> tuple[str, str]:
    """Creates an organization; returns its id and the key printed on the last line."""
    run = tarif("orgs", "create", name, *options)
    assert run.code == 0, run.err
    org_id = run.out.split()[1]
    return org_id, run.last_line


def test_orgs_create_prints_a_working_key_last(tarif: Tarif, client: TestClient) -> None:
    run = tarif("orgs", "create", "Nuage SAS", "--currency", "USD", "--locale", "en")
    assert run.code == 0, run.err
    assert run.out.startswith("organization org_")
    key = run.last_line
    assert key.startswith("tk_")
    assert len(key) == 46  # "tk_" + 43 characters
    org = client.get("/v1/organization", headers={"Authorization": f"Bearer {key}"}).json()
    assert (org["legal_name"], org["default_currency"], org["locale"]) == (
        "Nuage SAS",
        "USD",
        "en",
    )


def test_names_are_printed_as_written(tarif: Tarif) -> None:
    # Square brackets are not read as terminal markup (they used to crash after the commit,
    # losing the key that is shown only once).
    run = tarif("orgs", "create", "Acme [EU] [/] SAS")
    assert run.code == 0, run.err
    assert "Acme [EU] [/] SAS" in run.out
    assert run.last_line.startswith("tk_")


def test_orgs_create_refuses_a_bad_currency_in_one_line(tarif: Tarif) -> None:
    run = tarif("orgs", "create", "Bad SAS", "--currency", "XYZ")
    one_line_error(run, "default_currency: unknown ISO 4217 currency 'XYZ'")
    assert "tk_" not in run.out


def test_orgs_create_names_every_bad_option(tarif: Tarif) -> None:
    run = tarif("orgs", "create", "Bad SAS", "--siren", "123", "--timezone", "Nowhere")
    one_line_error(run, "siren")
    assert "timezone" in run.err


def test_orgs_list_and_show_as_json(tarif: Tarif) -> None:
    org_id, _ = new_org(tarif, "Listed SAS")
    listed = json.loads(tarif("orgs", "list", "--json").out)
    assert [o["legal_name"] for o in listed if o["id"] == org_id] == ["Listed SAS"]
    shown = json.loads(tarif("orgs", "show", "--org", org_id, "--json").out)
    assert shown["id"] == org_id
    assert shown["timezone"] == "Europe/Paris"
    assert org_id in tarif("orgs", "list").out  # the table form


def test_unknown_org_is_one_line(tarif: Tarif) -> None:
    one_line_error(tarif("users", "list", "--org", "org_nope"), "organization 'org_nope'")
    one_line_error(tarif("keys", "list", "--org", "org_nope"), "not found")


def test_several_orgs_need_an_org_option(tarif: Tarif) -> None:
    new_org(tarif, "One SAS")
    new_org(tarif, "Two SAS")
    one_line_error(tarif("users", "list"), "several organizations exist")


def test_users_create_with_a_password_option(tarif: Tarif, engine: Engine) -> None:
    org_id, _ = new_org(tarif)
    email = f"lea-{uuid.uuid4().hex[:8]}@example.com"
    run = tarif(
        "users", "create", "--org", org_id, "--email", email, "--name", "Léa",
        "--role", "finance", "--password", "correct horse",
    )  # fmt: skip
    assert run.code == 0, run.err
    with session_factory(engine)() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
    assert user.organization_id == org_id
    assert user.role == "finance"
    assert user.password_hash.startswith("$argon2")


def test_users_create_with_the_password_in_the_environment(
    tarif: Tarif, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id, _ = new_org(tarif)
    monkeypatch.setenv("TARIF_PASSWORD", "from the environment")
    email = f"env-{uuid.uuid4().hex[:8]}@example.com"
    run = tarif("users", "create", "--org", org_id, "--email", email, "--name", "Env")
    assert run.code == 0, run.err
    users = json.loads(tarif("users", "list", "--org", org_id, "--json").out)
    assert [u["email"] for u in users] == [email]
    assert "password" not in json.dumps(users)


def test_users_create_refuses_a_short_password_in_one_line(tarif: Tarif) -> None:
    org_id, _ = new_org(tarif)
    run = tarif(
        "users", "create", "--org", org_id, "--email", "short@example.com", "--name", "S",
        "--password", "short",
    )  # fmt: skip
    one_line_error(run, "password: must have at least 10 characters")


def test_users_create_refuses_a_duplicate_email_in_one_line(tarif: Tarif) -> None:
    org_id, _ = new_org(tarif)
    email = f"dup-{uuid.uuid4().hex[:8]}@example.com"
    args = ["users", "create", "--org", org_id, "--email", email, "--name", "D"]
    assert tarif(*args, "--password", "long enough").code == 0
    one_line_error(tarif(*args, "--password", "long enough"), "already exists")


def test_keys_create_list_and_revoke(tarif: Tarif, client: TestClient, engine: Engine) -> None:
    org_id, _ = new_org(tarif)
    run = tarif("keys", "create", "Zapier", "--role", "read_only", "--org", org_id)
    assert run.code == 0, run.err
    secret = run.last_line
    keys = json.loads(tarif("keys", "list", "--org", org_id, "--json").out)
    # The initial admin key and the new one; neither secret nor hash is ever listed.
    assert sorted(k["role"] for k in keys) == ["admin", "read_only"]
    assert all("secret" not in k and "key_hash" not in k for k in keys)
    assert secret not in json.dumps(keys)
    new_key = next(k for k in keys if k["role"] == "read_only")
    assert new_key["prefix"] == secret[:11]

    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/organization", headers=headers).status_code == 200
    assert tarif("keys", "revoke", new_key["id"], "--org", org_id).code == 0
    assert client.get("/v1/organization", headers=headers).status_code == 401
    with session_factory(engine)() as session:
        assert session.get(ApiKey, new_key["id"]).revoked_at is not None  # type: ignore[union-attr]


def test_audit_list_as_json(tarif: Tarif) -> None:
    org_id, _ = new_org(tarif)
    tarif("keys", "create", "Audited", "--org", org_id)
    events = json.loads(tarif("audit", "list", "--org", org_id, "--json").out)
    # Newest first: the CLI's key, then the initial key and the organization.
    assert [(e["action"], e["object_type"]) for e in events] == [
        ("create", "api_key"),
        ("create", "api_key"),
        ("create", "organization"),
    ]
    assert events[0]["actor_kind"] == "cli"
    assert events[0]["actor_label"].startswith("cli:")


def test_audit_list_pages_back_with_before(tarif: Tarif) -> None:
    org_id, _ = new_org(tarif)
    tarif("keys", "create", "Audited", "--org", org_id)
    everything = json.loads(tarif("audit", "list", "--org", org_id, "--json").out)
    assert len(everything) == 3  # the CLI's key, the initial key, the organization
    page = tarif("audit", "list", "--org", org_id, "--limit", "2")
    # The table shows the two newest; the cursor is the older of them.
    assert page.last_line == f"more: --before {everything[1]['id']}"
    older = json.loads(
        tarif("audit", "list", "--org", org_id, "--before", everything[1]["id"], "--json").out
    )
    assert [e["id"] for e in older] == [everything[2]["id"]]
    last = tarif("audit", "list", "--org", org_id, "--limit", "1", "--before", everything[1]["id"])
    assert "more:" not in last.out  # nothing older than the organization's creation


def test_users_keys_and_audit_lists_take_the_apis_filters(
    tarif: Tarif, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id, _ = new_org(tarif)  # its first key and events: now, long before the clock below
    clock = FixedClock(datetime(2100, 1, 1, 9, 30, tzinfo=UTC))
    monkeypatch.setattr("tarif.cli.common.SystemClock", lambda: clock)
    suffix = uuid.uuid4().hex[:8]

    def add(name: str, key: str) -> None:
        email = f"{name.split()[0].lower()}-{suffix}@example.com"
        user = ["users", "create", "--org", org_id, "--email", email, "--name", name]
        assert tarif(*user, "--password", "correct horse").code == 0
        assert tarif("keys", "create", key, "--org", org_id).code == 0

    add("Léa Martin", "Zapier")  # at 09:30 UTC
    clock.advance(timedelta(hours=1))
    add("Paul Roux", "Make")  # at 10:30 UTC
    since = "2100-01-01T10:00:00Z"

    def listed(*args: str) -> list[dict[str, Any]]:
        run = tarif(*args, "--org", org_id, "--json")
        assert run.code == 0, run.err
        return json.loads(run.out)  # type: ignore[no-any-return]

    assert [u["name"] for u in listed("users", "list", "--q", "PAUL")] == ["Paul Roux"]
    assert [u["name"] for u in listed("users", "list", "--updated-since", since)] == ["Paul Roux"]
    assert [k["name"] for k in listed("keys", "list", "--q", "zap")] == ["Zapier"]
    assert [k["name"] for k in listed("keys", "list", "--updated-since", since)] == ["Make"]
    # Newest first; "updated since" is "happened since" in the log.
    users = listed("audit", "list", "--type", "user")
    assert [e["after"]["name"] for e in users] == ["Paul Roux", "Léa Martin"]
    keys = listed("audit", "list", "--type", "api_key", "--updated-since", since)
    assert [e["after"]["name"] for e in keys] == ["Make"]
    created = listed("audit", "list", "--q", "organiz")
    assert [e["object_type"] for e in created] == ["organization"]
    page = tarif("users", "list", "--org", org_id, "--limit", "1")
    cursor = page.last_line.removeprefix("more: --starting-after ")
    assert cursor.startswith("usr_")
    rest = listed("users", "list", "--starting-after", cursor)
    assert [u["name"] for u in rest] == ["Paul Roux"]
    one_line_error(
        tarif("audit", "list", "--org", org_id, "--updated-since", "2100-01-01T25:00"),
        "--updated-since: expected a timestamp (RFC 3339, e.g. 2026-01-31T23:30:00Z)",
    )
