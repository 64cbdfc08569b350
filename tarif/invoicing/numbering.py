"""Invoice numbers: the organization's format filled with the year and the sequence value.

Pure. The format is a Python format string with `{year}` and `{seq}` (default
`F-{year}-{seq:06d}`); the service draws `seq` from a gap-free sequence per series and year.
"""

from __future__ import annotations

DEFAULT_FORMAT = "F-{year}-{seq:06d}"


def invoice_number(number_format: str, year: int, seq: int) -> str:
    """`invoice_number("F-{year}-{seq:06d}", 2026, 1) == "F-2026-000001"`."""
    if seq < 1:
        raise ValueError("sequence values start at 1")
    return (number_format or DEFAULT_FORMAT).format(year=year, seq=seq)
