"""`python -m tarif.db.autogenerate "message"`: a new migration from the models' differences."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from tarif.db.migrate import alembic_config, upgrade


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'autogen.db'}"
        upgrade(url)
        command.revision(alembic_config(url), message=message or "change", autogenerate=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
