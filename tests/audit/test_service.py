"""`record` and `snapshot` at the service level."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy.orm import Session

from tarif.audit.service import _plain, changed_only, events_for_object, record, snapshot
from tarif.context import Ctx
from tarif.tenancy.models import ApiKey, Organization
from tarif.tenancy.service import create_api_key
from tests.conftest import START


def test_snapshot_leaves_out_hashes_and_the_tenant(ctx: Ctx, session: Session) -> None:
    issued = create_api_key(ctx, name="snap")
    values = snapshot(issued.api_key)
    assert "key_hash" not in values
    assert "organization_id" not in values
    assert values["name"] == "snap"
    assert values["created_at"] == START.isoformat()


def test_plain_values_are_json_ready() -> None:
    class Color(Enum):
        RED = "red"

    assert _plain(Decimal("12.50")) == "12.50"  # a string: no float on the way
    assert _plain(datetime(2026, 1, 15, tzinfo=UTC)) == "2026-01-15T00:00:00+00:00"
    assert _plain(Color.RED) == "red"
    assert _plain(3) == 3


def test_changed_only_keeps_differences_without_updated_at() -> None:
    before = {"a": 1, "b": 2, "updated_at": "t1"}
    after = {"a": 1, "b": 3, "updated_at": "t2"}
    assert changed_only(before, after) == ({"b": 2}, {"b": 3})
    assert changed_only(None, after) == (None, after)
    assert changed_only(before, None) == (before, None)


def test_record_uses_the_context(ctx: Ctx, session: Session) -> None:
    org = session.get(Organization, ctx.organization_id)
    assert org is not None
    event = record(ctx, "update", "organization", org.id, {"city": None}, {"city": "Lille"})
    session.flush()
    assert event.organization_id == ctx.organization_id
    assert (event.actor_kind, event.actor_label) == ("system", "test")
    assert event.occurred_at == START
    newest = events_for_object(ctx, org.id, limit=1)
    assert [e.id for e in newest] == [event.id]


def test_events_for_object_are_newest_first(ctx: Ctx, session: Session) -> None:
    issued = create_api_key(ctx, name="history")
    key: ApiKey = issued.api_key
    key_id = key.id
    record(ctx, "revoke", "api_key", key_id, {"revoked_at": None}, {"revoked_at": "x"})
    session.flush()
    assert [e.action for e in events_for_object(ctx, key_id)] == ["revoke", "create"]
