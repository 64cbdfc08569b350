"""`python -m tarif.db.probe URL`: exit 0 if the database answers, 1 otherwise (used by make)."""

from __future__ import annotations

import sys

from sqlalchemy import create_engine, text


def reachable(url: str) -> bool:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception as exc:  # any failure means "not reachable" for this probe
        print(f"database probe failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return False


if __name__ == "__main__":
    sys.exit(0 if reachable(sys.argv[1]) else 1)
