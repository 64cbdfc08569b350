"""Pure customer rules: field validation and the tax treatment, on plain values and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from tarif.customers.rules import (
    MAX_METADATA_KEYS,
    TaxTreatment,
    tax_mention,
    tax_treatment,
    validate_contact,
    validate_customer,
    vat_territory,
)
from tarif.errors import InvalidInput
from tarif.legal_ids import EU_COUNTRIES

# A French VAT number is FR + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97:
# 732829320 = 97 × 7554941 + 43, so key = (12 + 3 × 43) mod 97 = 141 mod 97 = 44.
SIREN = "732829320"
SIRET = "73282932000074"
FR_VAT = "FR44732829320"
DE_VAT = "DE136695976"


def french_company(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "external_id": "C-1",
        "legal_name": "Nuage SAS",
        "kind": "company",
        "country": "FR",
        "currency": "EUR",
        "language": "fr",
        "timezone": "Europe/Paris",
        "payment_terms_days": 30,
        "payment_terms_end_of_month": False,
        "tax_status": "standard",
    }
    values.update(overrides)
    return values


def errors_of(values: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        validate_customer(values)
    return {e.field: e.message for e in caught.value.errors}


def siren_from(eight_digits: str) -> str:
    return eight_digits + luhn.calc_check_digit(eight_digits)


def fr_vat_of(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


# --- validation ------------------------------------------------------------------------------


def test_a_french_company_is_normalized() -> None:
    fields = validate_customer(
        french_company(
            country="fr",
            currency="eur",
            vat_number="fr 44 732 829 320",
            siren="732 829 320",
            siret="732 829 320 00074",
            invoice_emails="Compta@Nuage.FR; factures@nuage.fr, compta@nuage.fr",
            payment_terms_days="45",
            payment_terms_end_of_month="oui",
            metadata={"crm_id": "42"},
        )
    )
    assert (fields.country, fields.currency) == ("FR", "EUR")
    assert (fields.vat_number, fields.siren, fields.siret) == (FR_VAT, SIREN, SIRET)
    # The domain is lower-cased, the local part kept; the repeated address appears once.
    assert fields.invoice_emails == ["Compta@nuage.fr", "factures@nuage.fr"]
    assert (fields.payment_terms_days, fields.payment_terms_end_of_month) == (45, True)
    assert fields.metadata == {"crm_id": "42"}


def test_the_siren_is_taken_from_the_siret_when_missing() -> None:
    assert validate_customer(french_company(siret=SIRET)).siren == SIREN


def test_a_french_companys_siren_is_read_from_its_vat_number() -> None:
    assert validate_customer(french_company(vat_number=FR_VAT)).siren == SIREN
    # A German company's French VAT registration says nothing of a SIREN it may not have.
    german = validate_customer(french_company(country="DE", vat_number=FR_VAT))
    assert german.siren is None


@pytest.mark.parametrize("code", ["EU", "UN", "ZZ", "XX", "FRA"])
def test_groupings_and_unknown_codes_are_not_countries(code: str) -> None:
    assert list(errors_of(french_company(country=code))) == ["country"]


def test_a_siret_of_another_siren_is_refused() -> None:
    other = siren_from("41234567")  # 41234567 + Luhn digit 0
    other_siret = other + "00019"  # NIC 0001 + Luhn digit 9
    assert errors_of(french_company(siren=SIREN, siret=other_siret)) == {
        "siret": f"does not belong to SIREN {SIREN}"
    }


def test_a_french_vat_number_must_end_with_the_siren() -> None:
    other = siren_from("41234567")
    errors = errors_of(french_company(siren=other, vat_number=FR_VAT))
    assert list(errors) == ["vat_number"]


def test_a_bad_vat_checksum_is_named() -> None:
    errors = errors_of(french_company(vat_number="FR45732829320"))  # key 44 changed to 45
    assert list(errors) == ["vat_number"]
    assert "FR45732829320" in errors["vat_number"]


def test_siren_and_siret_are_for_french_companies_only() -> None:
    german = errors_of(french_company(country="DE", siren=SIREN, siret=SIRET))
    assert set(german) == {"siren", "siret"}
    person = errors_of(french_company(kind="person", siren=SIREN))
    assert set(person) == {"siren"}


def test_a_person_has_no_vat_number() -> None:
    assert errors_of(french_company(kind="person", vat_number=FR_VAT)) == {
        "vat_number": "only a company has a VAT number"
    }


def test_every_bad_field_is_reported_at_once() -> None:
    errors = errors_of(
        french_company(
            legal_name="  ",
            kind="robot",
            country="XX",
            currency="ABC",
            language="de",
            timezone="Mars/Olympus",
            payment_terms_days=366,
            payment_terms_end_of_month="maybe",
            tax_status="reverse_charge",
            invoice_emails=["ok@example.com", "not-an-email"],
        )
    )
    assert set(errors) == {
        "legal_name",
        "kind",
        "country",
        "currency",
        "language",
        "timezone",
        "payment_terms_days",
        "payment_terms_end_of_month",
        "tax_status",
        "invoice_emails.1",
    }
    assert errors["payment_terms_days"] == "must be between 0 and 365 days"
    assert errors["tax_status"] == "must be 'standard' or 'exempt'"


@pytest.mark.parametrize(("given", "expected"), [("0", 0), (365, 365), ("  12 ", 12)])
def test_payment_terms_within_bounds(given: object, expected: int) -> None:
    assert validate_customer(french_company(payment_terms_days=given)).payment_terms_days == (
        expected
    )


@pytest.mark.parametrize("given", [-1, 366, "30.5", True, None, "thirty"])
def test_payment_terms_out_of_bounds_or_not_whole(given: object) -> None:
    assert list(errors_of(french_company(payment_terms_days=given))) == ["payment_terms_days"]


def test_metadata_is_bounded_text() -> None:
    too_many = {f"k{i}": "v" for i in range(MAX_METADATA_KEYS + 1)}
    assert list(errors_of(french_company(metadata=too_many))) == ["metadata"]
    assert list(errors_of(french_company(metadata={"x" * 41: "v"}))) == [f"metadata.{'x' * 41}"]
    assert list(errors_of(french_company(metadata={"n": 3}))) == ["metadata.n"]
    assert list(errors_of(french_company(metadata={"n": "v" * 501}))) == ["metadata.n"]
    assert validate_customer(french_company(metadata={"n": "v" * 500})).metadata["n"] == "v" * 500


def test_unknown_fields_are_refused() -> None:
    assert errors_of(french_company(vat="FR")) == {"vat": "unknown field"}


def test_missing_required_codes() -> None:
    values = french_company()
    del values["country"]
    assert errors_of(values) == {"country": "is required"}


def test_control_characters_and_long_names_are_refused() -> None:
    assert list(errors_of(french_company(legal_name="Nuage\x00SAS"))) == ["legal_name"]
    assert list(errors_of(french_company(legal_name="Nuage\ud800SAS"))) == ["legal_name"]
    assert errors_of(french_company(legal_name="Nuage\nSAS")) == {
        "legal_name": "must be one line, without control characters"
    }
    assert list(errors_of(french_company(legal_name="x" * 201))) == ["legal_name"]


def test_typography_and_multiline_notes_are_kept() -> None:
    fields = validate_customer(
        french_company(legal_name="Société\u00a0Générale « Test »", notes="ligne 1\nligne 2")
    )
    assert fields.legal_name == "Société\u00a0Générale « Test »"
    assert fields.notes == "ligne 1\nligne 2"


def test_contacts() -> None:
    contact = validate_contact(
        {"name": " Jeanne Roux ", "email": "J.Roux@Nuage.FR", "phone": "+33 1 23 45 67 89"}
    )
    assert (contact.name, contact.email, contact.role) == ("Jeanne Roux", "J.Roux@nuage.fr", None)
    with pytest.raises(InvalidInput) as caught:
        validate_contact({"name": "", "email": "nope", "phone": "call me", "fax": "1"})
    assert {e.field for e in caught.value.errors} == {"name", "email", "phone", "fax"}


# --- tax treatment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "kind", "vat", "status", "expected"),
    [
        ("FR", "company", FR_VAT, "standard", TaxTreatment.STANDARD),  # domestic
        ("FR", "person", None, "standard", TaxTreatment.STANDARD),
        ("MC", "company", None, "standard", TaxTreatment.STANDARD),  # Monaco: French VAT area
        ("DE", "company", DE_VAT, "standard", TaxTreatment.REVERSE_CHARGE),
        ("GR", "company", "EL094259216", "standard", TaxTreatment.REVERSE_CHARGE),  # EL = Greece
        ("DE", "company", None, "standard", TaxTreatment.STANDARD),  # no VAT number: French VAT
        ("DE", "company", "DE136695975", "standard", TaxTreatment.STANDARD),  # bad checksum
        ("DE", "company", FR_VAT, "standard", TaxTreatment.STANDARD),  # identified in France
        ("DE", "person", None, "standard", TaxTreatment.STANDARD),  # EU consumer
        ("US", "company", None, "standard", TaxTreatment.EXPORT),
        ("CH", "person", None, "standard", TaxTreatment.EXPORT),
        ("GF", "company", None, "standard", TaxTreatment.EXPORT),  # French Guiana: outside EU VAT
        ("DE", "company", DE_VAT, "exempt", TaxTreatment.EXEMPT),
        ("FR", "company", None, "exempt", TaxTreatment.EXEMPT),
    ],
)
def test_tax_treatment_for_a_french_seller(
    country: str, kind: str, vat: str | None, status: str, expected: TaxTreatment
) -> None:
    treatment = tax_treatment(
        seller_country="FR", customer_country=country, kind=kind, vat_number=vat, tax_status=status
    )
    assert treatment == expected


def test_a_german_seller_charges_its_vat_to_germans_and_reverse_charges_the_french() -> None:
    def treat(country: str, vat: str | None) -> TaxTreatment:
        return tax_treatment(
            seller_country="DE",
            customer_country=country,
            kind="company",
            vat_number=vat,
            tax_status="standard",
        )

    assert treat("DE", DE_VAT) == TaxTreatment.STANDARD
    assert treat("FR", FR_VAT) == TaxTreatment.REVERSE_CHARGE


def test_mentions() -> None:
    assert tax_mention(TaxTreatment.REVERSE_CHARGE, "fr") == (
        "Autoliquidation – article 196 de la directive 2006/112/CE"
    )
    assert "2006/112/EC" in (tax_mention(TaxTreatment.REVERSE_CHARGE, "en") or "")
    assert tax_mention(TaxTreatment.STANDARD, "fr") is None


# --- properties ------------------------------------------------------------------------------

printable = st.characters(exclude_categories=("Cc", "Cs"))
eight_digits = st.text(alphabet="0123456789", min_size=8, max_size=8)
countries = st.sampled_from(sorted(EU_COUNTRIES | {"US", "CH", "GB", "MC", "GF", "JP", "NO"}))
kinds = st.sampled_from(["company", "person"])
statuses = st.sampled_from(["standard", "exempt"])
vat_numbers = st.one_of(
    st.none(),
    st.sampled_from([FR_VAT, DE_VAT, "EL094259216", "ATU13585627", "DE136695975"]),
    st.text(max_size=14),
)


@given(eight_digits)
def test_any_siren_with_its_luhn_digit_is_accepted_with_its_vat_number(base: str) -> None:
    siren = siren_from(base)
    fields = validate_customer(french_company(siren=siren, vat_number=fr_vat_of(siren)))
    assert fields.siren == siren
    assert fields.vat_number == fr_vat_of(siren)


@given(eight_digits, st.integers(min_value=1, max_value=9))
def test_a_siren_with_a_wrong_check_digit_is_refused(base: str, shift: int) -> None:
    good = int(luhn.calc_check_digit(base))
    wrong = base + str((good + shift) % 10)
    assert list(errors_of(french_company(siren=wrong))) == ["siren"]


@given(
    st.builds(
        french_company,
        legal_name=st.text(min_size=1, max_size=200).filter(
            lambda s: s.strip() and s.isprintable()
        ),
        payment_terms_days=st.integers(min_value=0, max_value=365),
        currency=st.sampled_from(["eur", "USD", " gbp ", "JPY"]),
        country=st.sampled_from(["fr", "FR ", "Fr"]),
        metadata=st.dictionaries(
            st.text(printable, min_size=1, max_size=40).filter(str.strip),
            st.text(printable, max_size=500),
            max_size=5,
        ),
    )
)
def test_normalizing_twice_changes_nothing(values: dict[str, object]) -> None:
    once = validate_customer(values)
    assert validate_customer(once.as_values()) == once


@given(countries, countries, kinds, vat_numbers, statuses)
def test_tax_treatment_properties(
    seller: str, buyer: str, kind: str, vat: str | None, status: str
) -> None:
    treatment = tax_treatment(
        seller_country=seller, customer_country=buyer, kind=kind, vat_number=vat, tax_status=status
    )
    if status == "exempt":
        assert treatment == TaxTreatment.EXEMPT
    elif buyer == seller:
        assert treatment == TaxTreatment.STANDARD
    if treatment == TaxTreatment.REVERSE_CHARGE:
        # Only an EU business of another member state, with a VAT number, ever reverse-charges.
        assert kind == "company" and vat
        buyer_area, seller_area = vat_territory(buyer), vat_territory(seller)
        assert buyer_area in EU_COUNTRIES and seller_area in EU_COUNTRIES
        assert buyer_area != seller_area
    if seller in EU_COUNTRIES and buyer not in EU_COUNTRIES | {"MC"} and status != "exempt":
        assert treatment == TaxTreatment.EXPORT
