from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from tarif.invoicing import InconsistentDocument, Period, TaxTreatment, Totals, VatBreakdown
from tarif.invoicing.document import expected_vat
from tests.invoicing.documents import (
    FRENCH_BUYER,
    credit_note,
    english_invoice,
    export_invoice,
    french_invoice,
    reverse_charge_invoice,
)

D = Decimal


@pytest.mark.parametrize(
    "build", [french_invoice, reverse_charge_invoice, export_invoice, english_invoice, credit_note]
)
def test_consistent_documents_are_accepted(build):
    assert build().lines


def refusal(document, **changes) -> str:
    with pytest.raises(InconsistentDocument) as caught:
        replace(document, **changes)
    return str(caught.value)


def test_net_total_must_be_the_sum_of_the_lines():
    # lines: 218.81 + 399.00 + 50.00 = 667.81, not 667.80
    message = refusal(french_invoice(), totals=Totals(D("667.80"), D("128.56"), D("796.36")))
    assert "the net total 667.80 is not the sum of the lines 667.81" in message


def test_vat_is_rounded_half_up_on_each_rate_base():
    # 617.81 × 0.20 = 123.562 -> 123.56; truncating per line or rounding up gives 123.57: refused
    document = french_invoice()
    breakdown = (
        VatBreakdown(D("20"), D("617.81"), D("123.57")),
        VatBreakdown(D("10"), D("50.00"), D("5.00")),
    )
    message = refusal(
        document, vat_breakdown=breakdown, totals=Totals(D("667.81"), D("128.57"), D("796.38"))
    )
    assert "VAT 20 %: the amount 123.57 should be 123.56" in message


def test_half_cent_vat_rounds_up():
    # 0.25 × 10 % = 0.025 -> 0.03 (HALF_UP, not banker's 0.02)
    assert expected_vat(D("0.25"), D("10"), 2) == D("0.03")
    # 99.99 × 5.5 % = 5.49945 -> 5.50
    assert expected_vat(D("99.99"), D("5.5"), 2) == D("5.50")


def test_each_rate_needs_its_breakdown_entry():
    only_twenty = (VatBreakdown(D("20"), D("617.81"), D("123.56")),)
    message = refusal(
        french_invoice(),
        vat_breakdown=only_twenty,
        totals=Totals(D("667.81"), D("123.56"), D("791.37")),
    )
    assert "exactly one entry per rate" in message


def test_wrong_rate_base_is_refused():
    breakdown = (
        VatBreakdown(D("20"), D("618.81"), D("123.56")),
        VatBreakdown(D("10"), D("50.00"), D("5.00")),
    )
    message = refusal(french_invoice(), vat_breakdown=breakdown)
    assert "VAT 20 %: the base 618.81 should be 617.81" in message


def test_gross_must_be_net_plus_vat():
    # 667.81 + 128.56 = 796.37, not 796.38
    message = refusal(french_invoice(), totals=Totals(D("667.81"), D("128.56"), D("796.38")))
    assert message == "the gross total is not net + VAT"


def test_every_problem_is_listed_at_once():
    with pytest.raises(InconsistentDocument) as caught:
        replace(french_invoice(), language="de", due_date=date(2026, 1, 1))
    assert len(caught.value.problems) == 2


def test_credit_note_names_the_corrected_invoice():
    assert "names the invoice it corrects" in refusal(credit_note(), corrected_invoice_number=None)
    assert "only a credit note" in refusal(french_invoice(), corrected_invoice_number="F-1")


def test_reverse_charge_needs_the_buyer_vat_number_and_a_zero_rate():
    assert "buyer's VAT number" in refusal(
        reverse_charge_invoice(), buyer=replace(FRENCH_BUYER, vat_number=None)
    )
    assert "reverse_charge lines carry a 0 % rate" in refusal(
        french_invoice(), tax_treatment=TaxTreatment.REVERSE_CHARGE
    )


def test_standard_vat_needs_a_positive_rate():
    assert "positive rate" in refusal(reverse_charge_invoice(), tax_treatment=None)


def test_exempt_document_states_its_legal_basis():
    assert "legal basis" in refusal(export_invoice(), tax_treatment=TaxTreatment.EXEMPT)


def test_empty_service_period_is_refused():
    empty = Period(date(2026, 1, 15), date(2026, 1, 15))
    assert "the service period is empty" in refusal(french_invoice(), service_period=empty)


def test_unknown_currency_is_refused():
    assert "unknown currency 'EURO'" in refusal(french_invoice(), currency="EURO")
