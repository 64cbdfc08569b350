"""Where a billing run puts a credit of a line's days, and at which VAT (pure).

A credit gives back what was billed. The days it credits were billed by a charge line of an
earlier invoice; that line's VAT category and rate, and its invoice's tax treatment, are what the
credit carries, not what the customer's treatment would give today: a customer billed French VAT
for March who moves to reverse charge on 15 March gets the 20 % paid on 20–31 March back, 20 %.

An invoice has one tax treatment, which decides its legal mentions (reverse charge, export,
exemption) and that its lines are at 0 % or not. So a credit goes on:

- a credit note correcting the invoice that billed its days, when that invoice is finalized and
  either the contract corrects by credit note (`corrections`) or the customer's treatment has
  changed since: a French avoir names the invoice it corrects and keeps its VAT;
- else, when the treatment changed but that invoice is still a draft (nothing to correct yet),
  a draft invoice of the former treatment, apart from today's charges;
- else the next invoice, beside the charges (the default `corrections` = adjustment).

Other lines take back an amount billed rather than days: a late re-rating's negative part of a
usage period (a volume tier left, a minimum-spend top-up no longer needed), a minimum
commitment's top-up lowered, an early-termination fee withdrawn. Each gives back at the VAT of
the line it takes back (`taken_back`), placed the same way, except that the contract's
`corrections` does not send them to a credit note: only a change of treatment does.

A credit whose days were billed on an invoice already given back whole (voided, or credited in
full by credit notes) is not billed: the customer got those days back with the void. A credit
of days billed on an invoice that credit notes have given back in part (a goodwill amount, some
lines) goes on a credit note correcting that invoice, whatever the contract's `corrections`:
what notes credit is checked against what the invoice has left (`over_credit`), so a note that
would give back more is held back as a draft for a person to edit, instead of an adjustment line
giving the same money back twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tarif.billing.periods import Period
from tarif.customers.rules import TaxTreatment


@dataclass(frozen=True, slots=True)
class BilledDays:
    """A charge line that billed days of a contract's line, with its invoice."""

    invoice_id: str
    correctable: bool  # the invoice is finalized (not a draft, not voided): a credit note can
    line_key: str
    version: int
    period: Period
    tax_treatment: TaxTreatment  # the invoice's
    vat_category: str
    vat_rate: Decimal
    kind: str = "charge"  # the line's `ChargeKind`: "charge" bills days, the others amounts
    part: str = ""  # a usage line's part, without its revision (`usage_lines.split_part`)
    # The invoice was given back whole (voided, or credited in full by credit notes): its days
    # were credited already, and a credit of them is not billed a second time.
    given_back: bool = False
    # Credit notes (issued or drafted) give part of the invoice back already.
    partly_credited: bool = False


@dataclass(frozen=True, slots=True)
class CreditPlace:
    """The VAT of a credit line and the document it goes on."""

    vat_category: str
    vat_rate: Decimal
    tax_treatment: TaxTreatment  # the document's
    corrects_invoice_id: str | None  # a credit note correcting this invoice
    former_treatment: bool  # a treatment the customer no longer has: a document of its own


def billed_by(
    billed: Sequence[BilledDays], line_key: str, version: int, period: Period
) -> BilledDays | None:
    """The charge line that bills the credited days now: same line and version (a credit names
    the version whose days it gives back), a period holding the credit's. When several do (days
    credited after a suspension and charged again on resuming), the last one issued: the earlier
    one's days were given back already. `billed` is in the order issued."""
    found = None
    for line in billed:
        if (
            line.kind == "charge"
            and line.line_key == line_key
            and line.version == version
            and line.period.start <= period.start
            and period.end <= line.period.end
        ):
            found = line
    return found


def taken_back(
    billed: Sequence[BilledDays], kind: str, line_key: str, period: Period, part: str = ""
) -> BilledDays | None:
    """The line a negative amount line takes back: same kind, line, period and (usage) part,
    whatever the version (a withdrawn fee names the version withdrawing it); the last one
    issued, as `billed_by`. `billed` holds only lines of a positive amount."""
    found = None
    for line in billed:
        if (
            line.kind == kind
            and line.line_key == line_key
            and line.period == period
            and line.part == part
        ):
            found = line
    return found


def place_credit(
    origin: BilledDays | None,
    treatment: TaxTreatment,
    category: str,
    rate: Decimal,
    *,
    to_credit_notes: bool,
) -> CreditPlace:
    """Where a credit goes and at which VAT. `treatment`, `category` and `rate` are today's, for a
    credit whose days no stored line billed (none is found: the credit is billed as a charge
    would be); `to_credit_notes` is the contract's `corrections` = credit_note."""
    if origin is None:
        return CreditPlace(category, rate, treatment, None, former_treatment=False)
    changed = origin.tax_treatment is not treatment
    corrects = origin.correctable and (to_credit_notes or changed or origin.partly_credited)
    return CreditPlace(
        origin.vat_category,
        # The rate billed (equal decimals: today's object, so invoices share their totals).
        rate if origin.vat_rate == rate else origin.vat_rate,
        origin.tax_treatment,
        origin.invoice_id if corrects else None,
        former_treatment=changed,
    )
