"""The statement PDF: a Jinja2 template rendered by WeasyPrint, in French or English.

A statement is a reading aid, not a tax document: a plain PDF (no PDF/A, no Factur-X). The
organization's name heads it; the customer's language chooses the texts.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tarif.money import Money, format_money
from tarif.statements.rules import DAY, MONTH, Statement

TEMPLATES = Path(__file__).parent / "pdf_templates"
_LOCALES = {"fr": ("fr_FR", "dd/MM/yyyy"), "en": ("en_GB", "d MMMM yyyy")}

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Relevé de consommation",
        "customer": "Client",
        "invoice": "Facture",
        "contract": "Contrat",
        "draft": "brouillon",
        "period": "Période : du {start} au {end}",
        "line_period": "du {start} au {end}",
        "metric": "Métrique",
        "day": "Jour",
        "month": "Mois",
        "quantity": "Quantité",
        "events": "Événements",
        "unit_price": "Prix unitaire HT",
        "amount": "Montant HT",
        "late": "Régularisation de consommation tardive",
        "all": "Ensemble",
        "total_metric": "Total {name}",
        "total": "Total de la consommation HT",
        "nothing": "Aucune consommation facturée sur la période.",
        "rule": (
            "Les montants reprennent les lignes de consommation des factures ; une ligne "
            "répartie sur plusieurs lignes du relevé l'est au prorata des quantités, au centime "
            "près (méthode du plus fort reste)."
        ),
    },
    "en": {
        "title": "Consumption statement",
        "customer": "Customer",
        "invoice": "Invoice",
        "contract": "Contract",
        "draft": "draft",
        "period": "Period: {start} to {end}",
        "line_period": "{start} to {end}",
        "metric": "Metric",
        "day": "Day",
        "month": "Month",
        "quantity": "Quantity",
        "events": "Events",
        "unit_price": "Unit price (net)",
        "amount": "Net amount",
        "late": "Late usage adjustment",
        "all": "All",
        "total_metric": "Total {name}",
        "total": "Total usage (net)",
        "nothing": "No usage billed in the period.",
        "rule": (
            "Amounts are the invoices' usage lines; a line split over several statement rows "
            "is shared in proportion to quantities, to the cent (largest remainder method)."
        ),
    },
}


class _Texts:
    def __init__(self, language: str, code: str) -> None:
        self.language, self.code = language, code
        self.locale, self.pattern = _LOCALES[language]

    def money(self, amount: Decimal) -> str:
        return format_money(Money.of(amount, self.code), self.language)

    def day(self, value: date) -> str:
        return format_date(value, self.pattern, locale=self.locale)

    def number(self, value: Decimal | int | None) -> str:
        if value is None:
            return ""
        return format_decimal(value, format="#,##0.######", locale=self.locale)

    def span(self, start: date, end: date, label: str) -> str:
        # Ends are exclusive; the last day covered is shown.
        last = end - timedelta(days=1)
        text: str = LABELS[self.language][label]
        return text.format(start=self.day(start), end=self.day(last))

    def key(self, name: str, value: str | None) -> str:
        if value is None:
            return "—"
        if name == DAY:
            return self.day(date.fromisoformat(value))
        if name == MONTH:
            year, month = value.split("-")
            return format_date(date(int(year), int(month), 1), "MMMM yyyy", locale=self.locale)
        return value


def render_html(statement: Statement, organization: str) -> str:
    labels = LABELS[statement.language]
    return (
        _environment()
        .get_template("statement.html")
        .render(
            s=statement,
            labels=labels,
            text=_Texts(statement.language, statement.currency),
            organization=organization,
            dimensions=statement.group_by.dimensions,
            dimension_label=lambda d: labels.get(d, d) if d in (DAY, MONTH) else d,
        )
    )


def render_pdf(statement: Statement, organization: str) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # imported late: loading Pango costs time at startup

    pdf: bytes = HTML(string=render_html(statement, organization)).write_pdf()
    return pdf


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
