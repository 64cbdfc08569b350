"""`python -m tarif.db.autogenerate "message"`: a new migration from the models' differences.

Revisions are numbered `0001`, `0002`, … and their files named `<number>_<slug>.py`, so deleting
the migrations and running this again gives the same file names and revision ids every time.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from tarif.db.migrate import alembic_config, upgrade


def next_revision_id(url: str) -> str:
    """One more than the highest numeric revision so far; `0001` for the first."""
    scripts = ScriptDirectory.from_config(alembic_config(url))
    numbers = [int(s.revision) for s in scripts.walk_revisions() if s.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'autogen.db'}"
        upgrade(url)
        command.revision(
            alembic_config(url),
            message=message or "change",
            autogenerate=True,
            rev_id=next_revision_id(url),
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
