"""Where a run puts a credit and at which VAT: the line that billed its days decides (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tarif.billing.periods import Period
from tarif.customers.rules import TaxTreatment
from tarif.invoicing.credit_origin import (
    BilledDays,
    CreditPlace,
    billed_by,
    place_credit,
    taken_back,
)

STANDARD, REVERSE = TaxTreatment.STANDARD, TaxTreatment.REVERSE_CHARGE
MARCH = Period(date(2026, 3, 1), date(2026, 4, 1))
LATE_MARCH = Period(date(2026, 3, 20), date(2026, 4, 1))
ZERO, TWENTY = Decimal(0), Decimal(20)


def billed(
    invoice_id: str = "inv_march",
    *,
    version: int = 1,
    period: Period = MARCH,
    correctable: bool = True,
    treatment: TaxTreatment = STANDARD,
    rate: Decimal = TWENTY,
) -> BilledDays:
    return BilledDays(
        invoice_id, correctable, "hosting", version, period, treatment, "standard", rate
    )


def test_the_days_are_billed_by_the_last_charge_of_the_version_holding_them() -> None:
    march = billed()
    # suspended, then resumed on 15 Mar: [15 Mar, 1 Apr) charged again on another invoice
    resumed = billed("inv_resumed", period=Period(date(2026, 3, 15), date(2026, 4, 1)))
    other_version = billed("inv_v2", version=2)
    lines = [march, resumed, other_version]
    assert billed_by(lines, "hosting", 1, LATE_MARCH) == resumed
    assert billed_by(lines, "hosting", 1, Period(date(2026, 3, 5), date(2026, 3, 10))) == march
    assert billed_by(lines, "hosting", 2, LATE_MARCH) == other_version
    assert billed_by(lines, "licence", 1, LATE_MARCH) is None
    assert billed_by(lines, "hosting", 1, Period(date(2026, 3, 20), date(2026, 4, 2))) is None


def test_a_credit_billed_nowhere_is_placed_as_today_would_bill() -> None:
    assert place_credit(None, REVERSE, "standard", ZERO, to_credit_notes=True) == CreditPlace(
        "standard", ZERO, REVERSE, None, former_treatment=False
    )


def test_under_the_same_treatment_the_contract_setting_decides() -> None:
    # the rate billed, even when today's would differ (10 % then, 20 % for the category now)
    intermediate = BilledDays(
        "inv_march", True, "hosting", 1, MARCH, STANDARD, "intermediate", Decimal(10)
    )
    adjusted = place_credit(intermediate, STANDARD, "standard", TWENTY, to_credit_notes=False)
    assert adjusted == CreditPlace("intermediate", Decimal(10), STANDARD, None, False)
    noted = place_credit(billed(), STANDARD, "standard", TWENTY, to_credit_notes=True)
    assert noted == CreditPlace("standard", TWENTY, STANDARD, "inv_march", False)
    # a draft cannot be corrected: the credit goes on the next invoice
    draft = billed(correctable=False)
    assert (
        place_credit(draft, STANDARD, "standard", TWENTY, to_credit_notes=True).corrects_invoice_id
        is None
    )


def test_after_a_change_of_treatment_the_credit_keeps_the_treatment_billed() -> None:
    # billed with French VAT, the customer is reverse charge now: a credit note of the March
    # invoice at 20 %, whatever the contract's `corrections` says
    for to_notes in (False, True):
        place = place_credit(billed(), REVERSE, "standard", ZERO, to_credit_notes=to_notes)
        assert place == CreditPlace("standard", TWENTY, STANDARD, "inv_march", True)
    # the March invoice is still a draft: a draft of the former treatment of its own
    place = place_credit(
        billed(correctable=False), REVERSE, "standard", ZERO, to_credit_notes=False
    )
    assert place == CreditPlace("standard", TWENTY, STANDARD, None, True)
    # the other way round: billed under reverse charge, French now: 0 % comes back
    moved_in = billed(treatment=REVERSE, rate=ZERO)
    place = place_credit(moved_in, STANDARD, "standard", TWENTY, to_credit_notes=False)
    assert place == CreditPlace("standard", ZERO, REVERSE, "inv_march", True)


def amount_line(
    invoice_id: str, kind: str, *, period: Period = MARCH, part: str = "", version: int = 1
) -> BilledDays:
    return BilledDays(
        invoice_id, True, "hosting", version, period, STANDARD, "standard", TWENTY, kind, part
    )


def test_an_amount_taken_back_is_given_back_by_the_line_of_its_kind_period_and_part() -> None:
    fee = amount_line("inv_fee", "fee", period=Period(date(2026, 6, 14), date(2026, 6, 15)))
    top_up = amount_line("inv_april", "minimum")
    tier_1 = amount_line("inv_april", "usage", part="usage||1")
    minimum = amount_line("inv_april", "usage", part="minimum||1")
    later = amount_line("inv_may", "usage", part="minimum||1", version=2)
    lines = [fee, top_up, tier_1, minimum, later]
    # a withdrawn fee names the version withdrawing it: any version's fee of that day
    assert taken_back(lines, "fee", "hosting", fee.period) == fee
    assert taken_back(lines, "minimum", "hosting", MARCH) == top_up
    assert taken_back(lines, "usage", "hosting", MARCH, "usage||1") == tier_1
    # several lines billed the part: the last one issued
    assert taken_back(lines, "usage", "hosting", MARCH, "minimum||1") == later
    assert taken_back(lines, "usage", "hosting", MARCH, "usage||2") is None
    assert taken_back(lines, "minimum", "hosting", LATE_MARCH) is None
    # amounts never give back days: a credit of days finds the day charges only
    assert billed_by(lines, "hosting", 1, LATE_MARCH) is None
