from __future__ import annotations

from decimal import Decimal

import pytest

from tarif.billing.totals import TaxedLine, VatBreakdown, VatTreatment, invoice_totals, vat_rate
from tarif.catalog.rules import VatCategory
from tarif.money import RoundingMode


def test_vat_per_rate_on_the_sum_of_rounded_nets() -> None:
    lines = [
        TaxedLine(Decimal("10.004"), Decimal("20")),  # → 10.00
        TaxedLine(Decimal("10.004"), Decimal("20.0")),  # → 10.00, same rate
        TaxedLine(Decimal("33.333"), Decimal("5.5")),  # → 33.33
    ]
    totals = invoice_totals(lines, "EUR")
    assert totals.line_nets == (Decimal("10.00"), Decimal("10.00"), Decimal("33.33"))
    assert totals.vat_by_rate == (
        VatBreakdown(Decimal("20"), Decimal("20.00"), Decimal("4.00")),  # 20.00 × 20 %
        VatBreakdown(Decimal("5.5"), Decimal("33.33"), Decimal("1.83")),  # 33.33 × 5.5 % = 1.833
    )
    # net 53.33, VAT 4.00 + 1.83 = 5.83, gross 59.16
    assert (totals.net, totals.vat, totals.gross) == (
        Decimal("53.33"),
        Decimal("5.83"),
        Decimal("59.16"),
    )


def test_vat_is_not_the_sum_of_per_line_vat() -> None:
    # three lines of 0.05 at 10 %: per line 0.005 → 0.01 each (0.03); BR-CO-17: 0.15 × 10 % =
    # 0.015 → 0.02
    totals = invoice_totals([TaxedLine(Decimal("0.05"), Decimal("10"))] * 3, "EUR")
    assert totals.vat == Decimal("0.02")


def test_vat_rounds_half_up_even_when_lines_round_half_even() -> None:
    # nets 0.125 → 0.12 (HALF_EVEN); VAT 0.12 × 12.5 % = 0.015 → 0.02 (always HALF_UP)
    totals = invoice_totals(
        [TaxedLine(Decimal("0.125"), Decimal("12.5"))], "EUR", RoundingMode.HALF_EVEN
    )
    assert (totals.net, totals.vat, totals.gross) == (
        Decimal("0.12"),
        Decimal("0.02"),
        Decimal("0.14"),
    )


def test_jpy_totals_have_no_decimals() -> None:
    totals = invoice_totals([TaxedLine(Decimal("5483.87"), Decimal("10"))], "JPY")
    # 5483.87 → 5484; VAT 548.4 → 548; gross 6032
    assert (totals.net, totals.vat, totals.gross) == (Decimal(5484), Decimal(548), Decimal(6032))


def test_empty_invoice_totals_are_zero_in_the_minor_unit() -> None:
    totals = invoice_totals([], "EUR")
    assert (str(totals.net), str(totals.vat), str(totals.gross)) == ("0.00", "0.00", "0.00")


@pytest.mark.parametrize(
    ("category", "treatment", "rate"),
    [
        (VatCategory.STANDARD, VatTreatment.DOMESTIC, "20"),
        (VatCategory.INTERMEDIATE, VatTreatment.DOMESTIC, "10"),
        (VatCategory.REDUCED, VatTreatment.DOMESTIC, "5.5"),
        (VatCategory.SUPER_REDUCED, VatTreatment.DOMESTIC, "2.1"),
        (VatCategory.EXEMPT, VatTreatment.DOMESTIC, "0"),
        (VatCategory.STANDARD, VatTreatment.REVERSE_CHARGE, "0"),
        (VatCategory.STANDARD, VatTreatment.EXPORT, "0"),
    ],
)
def test_french_vat_rates(category: VatCategory, treatment: VatTreatment, rate: str) -> None:
    assert vat_rate(category, treatment) == Decimal(rate)
