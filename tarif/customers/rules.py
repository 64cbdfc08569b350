"""Pure rules of customers: validating and normalizing their fields, and their tax treatment.

No database here: values in, values out. `validate_customer` reports every bad field at once
(`InvalidInput` with one `FieldError` per problem) so an API call, a form or a CSV row shows the
whole list in one go.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from tarif.errors import ErrorCollector
from tarif.legal_ids import (
    EU_COUNTRIES,
    check_country,
    check_siren,
    check_siret,
    check_vat_number,
    vat_country,
)
from tarif.money import is_known_currency


class CustomerKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class TaxStatus(StrEnum):
    """What the user states; reverse charge and export are not statuses, they are computed."""

    STANDARD = "standard"
    EXEMPT = "exempt"


class TaxTreatment(StrEnum):
    STANDARD = "standard"  # the seller's domestic VAT
    REVERSE_CHARGE = "reverse_charge"  # 0 %, the EU business customer accounts for the VAT
    EXPORT = "export"  # outside the seller's VAT area: no VAT
    EXEMPT = "exempt"  # stated on the customer


LANGUAGES = ("fr", "en")
DEFAULT_PAYMENT_TERMS_DAYS = 30
MAX_PAYMENT_TERMS_DAYS = 365
MAX_INVOICE_EMAILS = 10
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_VALUE_LENGTH = 500
MAX_NOTES_LENGTH = 10_000

# Column widths of `customers`; a longer value would fail at the database instead of here.
TEXT_LIMITS = {
    "external_id": 100,
    "legal_name": 200,
    "address_line1": 200,
    "address_line2": 200,
    "postal_code": 20,
    "city": 100,
    "state": 100,
    "pricelist_id": 40,
    "notes": MAX_NOTES_LENGTH,
}

MULTILINE_FIELDS = frozenset({"notes"})

CUSTOMER_FIELDS = (
    "external_id",
    "legal_name",
    "kind",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "state",
    "country",
    "vat_number",
    "siren",
    "siret",
    "invoice_emails",
    "currency",
    "language",
    "timezone",
    "payment_terms_days",
    "payment_terms_end_of_month",
    "tax_status",
    "pricelist_id",
    "notes",
    "metadata",
)

CONTACT_FIELDS = ("name", "role", "email", "phone")

_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().\-/]{2,38}$")
_EMAIL_SEPARATORS = re.compile(r"[;,\s]+")
_TRUE = frozenset({"true", "1", "yes", "y", "on", "oui", "vrai"})
_FALSE = frozenset({"false", "0", "no", "n", "off", "non", "faux", ""})

Parser = Callable[[str], str]

# Monaco belongs to the French VAT territory: a Monegasque customer is invoiced like a French one.
_VAT_TERRITORY = {"MC": "FR"}


@dataclass(frozen=True)
class CustomerFields:
    """A customer's fields once valid and normalized (upper-case codes, compact legal ids)."""

    external_id: str | None
    legal_name: str
    kind: str
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    state: str | None
    country: str
    vat_number: str | None
    siren: str | None
    siret: str | None
    invoice_emails: list[str]
    currency: str
    language: str
    timezone: str
    payment_terms_days: int
    payment_terms_end_of_month: bool
    tax_status: str
    pricelist_id: str | None
    notes: str | None
    metadata: dict[str, str] = field(default_factory=dict)

    def as_values(self) -> dict[str, object]:
        """The fields by their public names, ready to validate again (normalizing is stable)."""
        return {name: getattr(self, name) for name in CUSTOMER_FIELDS}


@dataclass(frozen=True)
class ContactFields:
    name: str
    role: str | None
    email: str | None
    phone: str | None


# --- small parsers: each returns the normalized value or raises ValueError --------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _printable(text: str, *, line_breaks: bool) -> bool:
    """No control characters (NUL, escape…) nor lone surrogates, which no database stores as
    text; non-breaking spaces and other typography are fine."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and not (line_breaks and char in "\t\n\r")):
            return False
    return True


def _text(value: object, max_length: int, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    text = value.strip()
    if len(text) > max_length:
        raise ValueError(f"must have at most {max_length} characters")
    if not _printable(text, line_breaks=multiline):
        raise ValueError(
            "must not contain control characters"
            if multiline
            else "must be one line, without control characters"
        )
    return text


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    raise ValueError("must be true or false")


def parse_days(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number of days")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError("must be a whole number of days")
    if not 0 <= value <= MAX_PAYMENT_TERMS_DAYS:
        raise ValueError(f"must be between 0 and {MAX_PAYMENT_TERMS_DAYS} days")
    return value


def check_email(value: str) -> str:
    """Trimmed, with the domain in lower case (the local part may be case-sensitive)."""
    text = value.strip()
    if len(text) > 254 or not _printable(text, line_breaks=False) or not _EMAIL.match(text):
        raise ValueError(f"'{text}' is not an e-mail address")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def split_emails(value: str) -> list[str]:
    """E-mails typed in one box or one CSV cell, separated by commas, semicolons or spaces."""
    return [part for part in _EMAIL_SEPARATORS.split(value) if part]


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(value: str) -> str:
    name = value.strip()
    if name not in _time_zones():
        raise ValueError(f"unknown time zone '{name}' (use an IANA name such as Europe/Paris)")
    return name


def check_currency(value: str) -> str:
    code = value.strip().upper()
    if not is_known_currency(code):
        raise ValueError(f"unknown ISO 4217 currency '{code}'")
    return code


# --- the customer ----------------------------------------------------------------------------


class _Checker:
    """Runs field checks, keeping the first problem of each field and every field's value."""

    def __init__(self, values: Mapping[str, object]) -> None:
        self.values = values
        self.errors = ErrorCollector()

    def error(self, name: str, message: str) -> None:
        self.errors.add(name, message)

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if _blank(value):
            if required:
                self.error(name, "is required")
            return None
        try:
            return _text(value, TEXT_LIMITS[name], multiline=name in MULTILINE_FIELDS)
        except ValueError as exc:
            self.error(name, str(exc))
            return None

    def code(self, name: str, parse: Parser) -> str | None:
        """A required code (country, currency…): blank is "required", otherwise parsed."""
        value = self.values.get(name)
        if _blank(value):
            self.error(name, "is required")
            return None
        if not isinstance(value, str):
            self.error(name, "must be text")
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.error(name, str(exc))
            return None

    def optional_id(self, name: str, parse: Parser) -> str | None:
        value = self.values.get(name)
        if _blank(value):
            return None
        if not isinstance(value, str):
            self.error(name, "must be text")
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.error(name, str(exc))
            return None


def _choice(options: tuple[str, ...]) -> Parser:
    def parse(value: str) -> str:
        normalized = value.strip().lower()
        if normalized not in options:
            raise ValueError("must be " + " or ".join(f"'{o}'" for o in options))
        return normalized

    return parse


def _emails(checker: _Checker) -> list[str]:
    value = checker.values.get("invoice_emails")
    if _blank(value):
        return []
    items: list[object]
    if isinstance(value, str):
        items = list(split_emails(value))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        checker.error("invoice_emails", "must be a list of e-mail addresses")
        return []
    if len(items) > MAX_INVOICE_EMAILS:
        checker.error("invoice_emails", f"at most {MAX_INVOICE_EMAILS} addresses")
        return []
    emails: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            checker.error(f"invoice_emails.{index}", "must be an e-mail address")
            continue
        try:
            email = check_email(item)
        except ValueError as exc:
            checker.error(f"invoice_emails.{index}", str(exc))
            continue
        # Mailboxes are case-insensitive in practice: one address typed twice is sent once.
        if email.casefold() not in {e.casefold() for e in emails}:
            emails.append(email)
    return emails


def _metadata(checker: _Checker) -> dict[str, str]:
    value = checker.values.get("metadata")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        checker.error("metadata", "must be an object of text keys and text values")
        return {}
    if len(value) > MAX_METADATA_KEYS:
        checker.error("metadata", f"at most {MAX_METADATA_KEYS} keys")
        return {}
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            checker.error("metadata", "keys must be non-empty text")
            continue
        name = key.strip()
        if not _printable(name, line_breaks=False):
            checker.error("metadata", "keys must not contain control characters")
            continue
        if len(name) > MAX_METADATA_KEY_LENGTH:
            checker.error(
                f"metadata.{name}", f"key longer than {MAX_METADATA_KEY_LENGTH} characters"
            )
            continue
        if not isinstance(item, str):
            checker.error(f"metadata.{name}", "must be text")
            continue
        if not _printable(item, line_breaks=True):
            checker.error(f"metadata.{name}", "must not contain control characters")
            continue
        if len(item) > MAX_METADATA_VALUE_LENGTH:
            checker.error(
                f"metadata.{name}", f"must have at most {MAX_METADATA_VALUE_LENGTH} characters"
            )
            continue
        out[name] = item
    return out


def _legal_ids(
    checker: _Checker, kind: str | None, country: str | None
) -> tuple[str | None, str | None, str | None]:
    """VAT number, SIREN and SIRET, each checked on its own and then against each other."""
    vat = checker.optional_id("vat_number", check_vat_number)
    siren = checker.optional_id("siren", check_siren)
    siret = checker.optional_id("siret", check_siret)
    if vat and kind == CustomerKind.PERSON:
        checker.error("vat_number", "only a company has a VAT number")
    french_company = kind == CustomerKind.COMPANY and country == "FR"
    for name, value in (("siren", siren), ("siret", siret)):
        if value and kind is not None and country is not None and not french_company:
            checker.error(name, "only a French company (kind 'company', country FR) has one")
    if siret and not siren:
        siren = siret[:9]  # the SIREN is the SIRET's first nine digits
    elif siret and siren and not siret.startswith(siren):
        checker.error("siret", f"does not belong to SIREN {siren}")
    if vat and siren and vat.startswith("FR") and vat[4:] != siren:
        checker.error("vat_number", f"a French VAT number ends with the SIREN ({siren})")
    elif vat and not siren and french_company and vat.startswith("FR") and vat[4:].isdigit():
        siren = vat[4:]  # FR + key + SIREN: French invoices name the buyer's SIREN
    return vat, siren, siret


def validate_customer(values: Mapping[str, object]) -> CustomerFields:
    """Checks a whole customer (defaults already applied); raises InvalidInput naming each bad
    field. Unknown names are refused so a misspelt column or form field is never dropped."""
    checker = _Checker(values)
    for name in values:
        if name not in CUSTOMER_FIELDS:
            checker.error(name, "unknown field")
    external_id = checker.text("external_id")
    legal_name = checker.text("legal_name", required=True)
    kind = checker.code("kind", _choice(tuple(CustomerKind)))
    country = checker.code("country", check_country)
    vat, siren, siret = _legal_ids(checker, kind, country)
    currency = checker.code("currency", check_currency)
    language = checker.code("language", _choice(LANGUAGES))
    timezone = checker.code("timezone", check_timezone)
    tax_status = checker.code("tax_status", _choice(tuple(TaxStatus)))
    days: int | None = None
    try:
        days = parse_days(values.get("payment_terms_days"))
    except ValueError as exc:
        checker.error("payment_terms_days", str(exc))
    end_of_month = False
    try:
        end_of_month = parse_bool(values.get("payment_terms_end_of_month") or False)
    except ValueError as exc:
        checker.error("payment_terms_end_of_month", str(exc))
    emails = _emails(checker)
    metadata = _metadata(checker)
    texts = {
        name: checker.text(name)
        for name in ("address_line1", "address_line2", "postal_code", "city", "state")
    }
    pricelist_id = checker.text("pricelist_id")
    notes = checker.text("notes")
    checker.errors.raise_if_any("The customer has invalid fields")
    assert legal_name and kind and country and currency and language and timezone and tax_status
    assert days is not None
    return CustomerFields(
        external_id=external_id,
        legal_name=legal_name,
        kind=kind,
        country=country,
        vat_number=vat,
        siren=siren,
        siret=siret,
        invoice_emails=emails,
        currency=currency,
        language=language,
        timezone=timezone,
        payment_terms_days=days,
        payment_terms_end_of_month=end_of_month,
        tax_status=tax_status,
        pricelist_id=pricelist_id,
        notes=notes,
        metadata=metadata,
        **texts,
    )


def validate_contact(values: Mapping[str, object]) -> ContactFields:
    errors = ErrorCollector()
    for key in values:
        if key not in CONTACT_FIELDS:
            errors.add(key, "unknown field")

    def text(name: str, max_length: int) -> str | None:
        value = values.get(name)
        if _blank(value):
            return None
        try:
            return _text(value, max_length)
        except ValueError as exc:
            errors.add(name, str(exc))
            return None

    name = text("name", 200)
    if name is None and not any(e.field == "name" for e in errors.errors):
        errors.add("name", "is required")
    role = text("role", 100)
    email = text("email", 254)
    if email is not None:
        try:
            email = check_email(email)
        except ValueError as exc:
            errors.add("email", str(exc))
    phone = text("phone", 40)
    if phone is not None and not _PHONE.match(phone):
        errors.add("phone", "is not a phone number (digits, spaces, + ( ) . - /)")
    errors.raise_if_any("The contact has invalid fields")
    assert name is not None
    return ContactFields(name=name, role=role, email=email, phone=phone)


# --- tax treatment ---------------------------------------------------------------------------


def vat_territory(country: str) -> str:
    code = country.strip().upper()
    return _VAT_TERRITORY.get(code, code)


def tax_treatment(
    *,
    seller_country: str,
    customer_country: str,
    kind: str,
    vat_number: str | None,
    tax_status: str,
) -> TaxTreatment:
    """How VAT applies to what the seller invoices this customer (EU rules, directive 2006/112/EC).

    - an explicit `exempt` status wins;
    - same VAT territory as the seller: the seller's VAT (`standard`);
    - outside the EU (or, for a seller outside the EU, any other country): `export`;
    - another member state, a company with a valid VAT number of a member state other than the
      seller's: `reverse_charge` (article 196);
    - another member state otherwise (a consumer, no valid VAT number): the seller's VAT.
    """
    if tax_status == TaxStatus.EXEMPT:
        return TaxTreatment.EXEMPT
    seller = vat_territory(seller_country)
    buyer = vat_territory(customer_country)
    if buyer == seller:
        return TaxTreatment.STANDARD
    if buyer not in EU_COUNTRIES or seller not in EU_COUNTRIES:
        return TaxTreatment.EXPORT
    if kind == CustomerKind.COMPANY and vat_number:
        try:
            number_state = vat_country(check_vat_number(vat_number))
        except ValueError:
            return TaxTreatment.STANDARD
        if number_state in EU_COUNTRIES and number_state != seller:
            return TaxTreatment.REVERSE_CHARGE
    return TaxTreatment.STANDARD


# The mention an invoice carries for each treatment; `standard` needs none.
TAX_MENTIONS: dict[TaxTreatment, dict[str, str]] = {
    TaxTreatment.REVERSE_CHARGE: {
        "fr": "Autoliquidation – article 196 de la directive 2006/112/CE",
        "en": "Reverse charge – article 196 of Council Directive 2006/112/EC",
    },
    TaxTreatment.EXPORT: {
        "fr": "Exportation hors Union européenne : TVA française non applicable",
        "en": "Export outside the European Union: no French VAT",
    },
    TaxTreatment.EXEMPT: {
        "fr": "Exonération de TVA",
        "en": "VAT exempt",
    },
}


def tax_mention(treatment: TaxTreatment, language: str) -> str | None:
    mentions = TAX_MENTIONS.get(treatment)
    if mentions is None:
        return None
    return mentions.get(language, mentions["en"])
