"""Invoice numbers from the organization's format."""

from __future__ import annotations

import pytest

from tarif.invoicing.numbering import DEFAULT_FORMAT, invoice_number


def test_default_format_pads_to_six_digits() -> None:
    assert invoice_number(DEFAULT_FORMAT, 2026, 1) == "F-2026-000001"
    assert invoice_number(DEFAULT_FORMAT, 2027, 123456) == "F-2027-123456"


def test_an_organization_format_is_used() -> None:
    assert invoice_number("INV/{year}/{seq:04d}", 2026, 42) == "INV/2026/0042"


def test_an_empty_format_falls_back_to_the_default() -> None:
    assert invoice_number("", 2026, 7) == "F-2026-000007"


def test_sequence_values_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        invoice_number(DEFAULT_FORMAT, 2026, 0)
