"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from tarif.db.autogenerate import next_revision_id
from tarif.db.migrate import MIGRATIONS_DIR, alembic_config, upgrade
from tarif.db.models import metadata
from tarif.db.session import make_engine
from tarif.db.types import ExactDecimal, UTCDateTime
from tests.conftest import BACKEND, _create_pg_database, _drop_pg_database


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend under test, dropped afterwards."""
    if BACKEND == "postgresql":
        url, name = _create_pg_database()
        yield url
        _drop_pg_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"


def test_upgrade_to_head_matches_the_models(fresh_url: str) -> None:
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    # Every model table exists, plus Alembic's own bookkeeping table.
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_upgrade_twice_is_a_no_op(fresh_url: str) -> None:
    upgrade(fresh_url)
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(fresh_url)).get_current_head()
    assert current == head


def test_revisions_are_numbered_and_files_named_after_them(tmp_path: Path) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(f"sqlite:///{tmp_path / 'x.db'}"))
    revisions = sorted(s.revision for s in scripts.walk_revisions())
    # A single chain 0001, 0002, … with no gap: regenerating from scratch gives the same ids.
    assert revisions == [f"{n:04d}" for n in range(1, len(revisions) + 1)]
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_")
    assert next_revision_id(f"sqlite:///{tmp_path / 'x.db'}") == f"{len(revisions) + 1:04d}"


def test_custom_column_types_are_rendered_importably() -> None:
    text = "\n".join(p.read_text() for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    assert "import tarif.db.types" in text
    custom = [
        (column.name, type(column.type).__name__)
        for table in metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, ExactDecimal | UTCDateTime)
    ]
    assert custom  # the schema does use both kinds of column
    for name, type_name in custom:
        # Named through their module, so the migration imports nothing private.
        assert re.search(rf"'{name}', tarif\.db\.types\.{type_name}\(", text), name
