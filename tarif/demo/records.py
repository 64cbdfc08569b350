"""The list of capability demo loaders (each takes a Ctx and is idempotent)."""

from __future__ import annotations

from collections.abc import Callable

from tarif.context import Ctx

DEMO_LOADERS: list[Callable[[Ctx], None]] = []
