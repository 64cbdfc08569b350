"""The invoice document: everything printed on an invoice or credit note, already computed.

Pure code. Amounts arrive rounded from the billing core; this module only checks that they add
up (a document whose totals disagree with its lines is refused) so the PDF and the Factur-X XML
can never show two different truths.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from tarif.money import UnknownCurrency, currency

LANGUAGES = ("fr", "en")
HUNDRED = Decimal(100)


class DocumentKind(StrEnum):
    INVOICE = "invoice"  # UNTDID 1001 code 380
    CREDIT_NOTE = "credit_note"  # UNTDID 1001 code 381


class TaxTreatment(StrEnum):
    """Why a document carries no French VAT; None on the document means standard VAT."""

    REVERSE_CHARGE = "reverse_charge"  # EU business buyer: "Autoliquidation", VAT category AE
    EXPORT = "export"  # buyer outside the EU, VAT category G
    EXEMPT = "exempt"  # exempt supply, VAT category E; the legal basis is given as text


class InconsistentDocument(ValueError):
    """The document cannot be rendered: every problem found is listed."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Party:
    name: str
    address_lines: tuple[str, ...]
    postal_code: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    siren: str | None = None
    vat_number: str | None = None
    legal_form: str | None = None  # legal form and share capital: "SAS au capital de 10 000 €"
    registration: str | None = None  # trade register: "RCS Paris 123 456 789"


@dataclass(frozen=True)
class Period:
    """A half-open date range: `end` is the first day not covered (shown as end - 1 day)."""

    start: date
    end: date


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: Decimal
    unit_price: Decimal  # net, per unit
    net_amount: Decimal
    vat_rate: Decimal  # a percentage: Decimal("20"), Decimal("5.5")
    period: Period | None = None


@dataclass(frozen=True)
class UsageAnnexLine:
    """A usage line as the invoice's consumption annex prints it: what was measured."""

    metric: str  # the metric's name and code
    description: str
    period: Period
    event_count: int
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    late_adjustment: bool = False


@dataclass(frozen=True)
class VatBreakdown:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    kind: DocumentKind
    number: str
    issue_date: date
    due_date: date
    currency: str
    language: str
    seller: Party
    buyer: Party
    service_period: Period
    lines: tuple[DocumentLine, ...]
    vat_breakdown: tuple[VatBreakdown, ...]
    totals: Totals
    late_penalty_rate: Decimal  # a yearly percentage, e.g. Decimal("10.15")
    payment_terms: str
    tax_treatment: TaxTreatment | None = None
    exemption_text: str | None = None  # the legal basis printed for EXEMPT
    corrected_invoice_number: str | None = None  # a credit note names the invoice it corrects
    purchase_order: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    footer: str | None = None  # the seller's free text at the foot of every document
    # Usage lines, measured: printed on a "consumption statement" annex page.
    usage_annex: tuple[UsageAnnexLine, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise InconsistentDocument(problems)


def expected_vat(base: Decimal, rate: Decimal, minor_unit: int) -> Decimal:
    """VAT on one rate's base, rounded once HALF_UP (EN 16931 BR-CO-17)."""
    return (base * rate / HUNDRED).quantize(Decimal(1).scaleb(-minor_unit), ROUND_HALF_UP)


def _problems(doc: InvoiceDocument) -> list[str]:
    problems = _header_problems(doc) + _tax_problems(doc)
    if not doc.lines:
        return [*problems, "a document needs at least one line"]
    try:
        minor_unit = currency(doc.currency).minor_unit
    except UnknownCurrency:
        return [*problems, f"unknown currency {doc.currency!r}"]
    return problems + _line_problems(doc) + _total_problems(doc, minor_unit)


def _header_problems(doc: InvoiceDocument) -> list[str]:
    problems: list[str] = []
    if not doc.number.strip():
        problems.append("the number is empty")
    if doc.language not in LANGUAGES:
        problems.append(f"language must be one of {', '.join(LANGUAGES)}")
    if doc.due_date < doc.issue_date:
        problems.append("the due date is before the issue date")
    if doc.service_period.end <= doc.service_period.start:
        problems.append("the service period is empty")
    if not doc.seller.siren or not doc.seller.vat_number:
        problems.append("the seller needs a SIREN and a VAT number")
    is_credit_note = doc.kind is DocumentKind.CREDIT_NOTE
    if is_credit_note and not doc.corrected_invoice_number:
        problems.append("a credit note names the invoice it corrects")
    if not is_credit_note and doc.corrected_invoice_number:
        problems.append("only a credit note corrects an invoice")
    return problems


def _tax_problems(doc: InvoiceDocument) -> list[str]:
    problems: list[str] = []
    treatment = doc.tax_treatment
    if treatment is TaxTreatment.REVERSE_CHARGE and not doc.buyer.vat_number:
        problems.append("reverse charge needs the buyer's VAT number")
    if treatment is TaxTreatment.EXEMPT and not doc.exemption_text:
        problems.append("an exempt document states its legal basis")
    rates = {line.vat_rate for line in doc.lines}
    if treatment is None and any(rate <= 0 for rate in rates):
        problems.append("standard VAT lines need a positive rate")
    if treatment is not None and any(rate != 0 for rate in rates):
        problems.append(f"{treatment.value} lines carry a 0 % rate")
    return problems


def _line_problems(doc: InvoiceDocument) -> list[str]:
    problems: list[str] = []
    for index, line in enumerate(doc.lines, start=1):
        if not line.description.strip():
            problems.append(f"line {index}: the description is empty")
        if line.period is not None and line.period.end <= line.period.start:
            problems.append(f"line {index}: the period is empty")
    return problems


def _total_problems(doc: InvoiceDocument, minor_unit: int) -> list[str]:
    problems: list[str] = []
    bases: dict[Decimal, Decimal] = {}
    for line in doc.lines:
        bases[line.vat_rate] = bases.get(line.vat_rate, Decimal(0)) + line.net_amount
    net = sum(bases.values(), Decimal(0))
    if doc.totals.net != net:
        problems.append(f"the net total {doc.totals.net} is not the sum of the lines {net}")
    given = {entry.rate: entry for entry in doc.vat_breakdown}
    if len(given) != len(doc.vat_breakdown) or set(given) != set(bases):
        problems.append("the VAT breakdown needs exactly one entry per rate used by the lines")
    for rate, base in sorted(bases.items()):
        entry = given.get(rate)
        if entry is None:
            continue
        if entry.base != base:
            problems.append(f"VAT {rate} %: the base {entry.base} should be {base}")
        vat = expected_vat(base, rate, minor_unit)
        if entry.amount != vat:
            problems.append(f"VAT {rate} %: the amount {entry.amount} should be {vat}")
    vat_total = sum((entry.amount for entry in doc.vat_breakdown), Decimal(0))
    if doc.totals.vat != vat_total:
        problems.append(f"the VAT total {doc.totals.vat} should be {vat_total}")
    if doc.totals.gross != doc.totals.net + doc.totals.vat:
        problems.append("the gross total is not net + VAT")
    return problems
