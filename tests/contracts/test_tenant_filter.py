"""The tenant filter of batched reads leaves SQLite the index of the ids it is given."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.dialects import sqlite

from tarif.contracts.models import ContractAmendment
from tarif.contracts.service_store import of_tenant
from tarif.customers.models import Customer
from tarif.db.models import metadata

# A chunk of a billing run: 2,000 ids. Without statistics, SQLite then prefers the equality on
# `organization_id` and scans every row of the tenant for each chunk.
IDS = [f"id_{n}" for n in range(2000)]


def plan(statement: Any) -> str:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))


@pytest.mark.parametrize("model", [Customer, ContractAmendment])
def test_rows_by_id_are_found_by_their_id(model: Any) -> None:
    plain = select(model.id).where(model.organization_id == "org_1", model.id.in_(IDS))
    filtered = select(model.id).where(of_tenant(model.organization_id, "org_1"), model.id.in_(IDS))
    assert "_organization_id (organization_id=?)" in plan(plain)  # the whole tenant
    assert plan(filtered).startswith(f"SEARCH {model.__tablename__} USING INDEX sqlite_autoindex")
