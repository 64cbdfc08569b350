"""Organization settings: validated with python-stdnum and friends, every bad field named."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tarif.clock import FixedClock
from tarif.context import Ctx
from tarif.db.session import session_factory
from tarif.errors import InvalidInput
from tarif.tenancy.models import Organization
from tarif.tenancy.service import create_organization, update_organization
from tests.conftest import Tenant

# Real identifiers of one company: SIREN 732829320, one of its SIRETs, its VAT number
# (FR + key 44 + SIREN). A second company: SIREN 552100554, SIRET 55210055400013, VAT FR96….
SIREN, SIRET, VAT = "732829320", "73282932000074", "FR44732829320"
OTHER_SIREN, OTHER_SIRET, OTHER_VAT = "552100554", "55210055400013", "FR96552100554"

BAD_VALUES: dict[str, Any] = {
    "siren": "732829321",  # last digit changed: the Luhn checksum fails
    "siret": "73282932000075",  # same
    "vat_number": "FR00732829320",  # wrong check key
    "default_currency": "XYZ",
    "locale": "de",
    "timezone": "Mars/Olympus_Mons",
    "invoice_number_format": "F-{year}",  # no {seq}
    "credit_note_number_format": "AV-{seq.__class__}",  # attribute access is refused
    "rounding_mode": "HALF_DOWN",
    "country": "ZZ",
}


def pointers(response: Any) -> set[str]:
    return {e["pointer"] for e in response.json()["errors"]}


def test_every_bad_field_is_named_at_once(api: TestClient, tenant: Tenant) -> None:
    response = api.patch("/v1/organization", json=BAD_VALUES)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/validation-error"
    assert pointers(response) == {f"/{name}" for name in BAD_VALUES}
    # Nothing was changed.
    org = api.get("/v1/organization").json()
    assert org["default_currency"] == "EUR"
    assert org["locale"] == "fr"


@pytest.mark.parametrize(("field", "value"), list(BAD_VALUES.items()))
def test_each_bad_field_alone_is_named(
    api: TestClient, tenant: Tenant, field: str, value: str
) -> None:
    response = api.patch("/v1/organization", json={field: value})
    assert response.status_code == 422
    assert pointers(response) == {f"/{field}"}


@pytest.mark.parametrize(
    "fmt", ["{seq:>999999999}", "{0}-{seq}", "{seq!r}", "F-{year}-{seq", "{seq:010d}"]
)
def test_number_formats_are_limited_to_safe_placeholders(
    api: TestClient, tenant: Tenant, fmt: str
) -> None:
    response = api.patch("/v1/organization", json={"invoice_number_format": fmt})
    assert response.status_code == 422
    assert pointers(response) == {"/invoice_number_format"}


def test_valid_settings_are_normalized(api: TestClient, tenant: Tenant) -> None:
    response = api.patch(
        "/v1/organization",
        json={
            "siren": SIREN,
            "siret": SIRET,
            "vat_number": "fr 44 732 829 320",  # spaces and case as people type them
            "default_currency": "usd",
            "locale": "EN",
            "timezone": "America/New_York",
            "country": "fr",
            "invoice_number_format": "INV-{year}{month:02d}-{seq:05d}",
            "rounding_mode": "HALF_EVEN",
        },
    )
    assert response.status_code == 200, response.text
    org = response.json()
    assert org["vat_number"] == VAT
    assert (org["default_currency"], org["locale"], org["country"]) == ("USD", "en", "FR")
    assert org["timezone"] == "America/New_York"
    assert org["rounding_mode"] == "HALF_EVEN"


def test_siret_must_belong_to_the_siren(api: TestClient, tenant: Tenant) -> None:
    response = api.patch("/v1/organization", json={"siren": SIREN, "siret": OTHER_SIRET})
    assert response.status_code == 422
    assert pointers(response) == {"/siret"}


def test_a_new_siret_is_checked_against_the_siren_on_file(api: TestClient, tenant: Tenant) -> None:
    assert api.patch("/v1/organization", json={"siren": SIREN}).status_code == 200
    response = api.patch("/v1/organization", json={"siret": OTHER_SIRET})
    assert response.status_code == 422
    assert pointers(response) == {"/siret"}
    assert api.patch("/v1/organization", json={"siret": SIRET}).status_code == 200


def test_a_french_vat_number_must_carry_the_siren(api: TestClient, tenant: Tenant) -> None:
    response = api.patch("/v1/organization", json={"siren": SIREN, "vat_number": OTHER_VAT})
    assert response.status_code == 422
    assert pointers(response) == {"/vat_number"}
    # A valid VAT number of another member state is not compared with the SIREN.
    response = api.patch("/v1/organization", json={"vat_number": "DE136695976"})
    assert response.status_code == 200


def test_required_settings_cannot_be_cleared(api: TestClient, tenant: Tenant) -> None:
    response = api.patch(
        "/v1/organization",
        json={"legal_name": None, "default_currency": None, "timezone": None, "locale": None},
    )
    assert response.status_code == 422
    assert pointers(response) == {"/legal_name", "/default_currency", "/timezone", "/locale"}


def test_optional_identifiers_can_be_cleared(api: TestClient, tenant: Tenant) -> None:
    assert api.patch("/v1/organization", json={"siren": SIREN}).status_code == 200
    response = api.patch("/v1/organization", json={"siren": None})
    assert response.status_code == 200
    assert response.json()["siren"] is None


def test_unknown_fields_are_refused(api: TestClient, tenant: Tenant) -> None:
    response = api.patch("/v1/organization", json={"city": "Lyon", "bogus": 1})
    assert response.status_code == 422
    assert pointers(response) == {"/bogus"}


def test_create_organization_applies_defaults(engine: Engine, clock: FixedClock) -> None:
    with session_factory(engine)() as session:
        org, issued = create_organization(session, clock, "  Nuage SAS  ")
        session.commit()
    assert org.legal_name == "Nuage SAS"
    assert (org.country, org.default_currency, org.locale) == ("FR", "EUR", "fr")
    assert org.timezone == "Europe/Paris"
    assert org.invoice_number_format == "F-{year}-{seq:06d}"
    assert org.credit_note_number_format == "AV-{year}-{seq:06d}"
    assert org.rounding_mode == "HALF_UP"
    assert org.created_at == clock.now()
    assert issued.api_key.organization_id == org.id


def test_create_organization_names_every_bad_field(engine: Engine, clock: FixedClock) -> None:
    with session_factory(engine)() as session:
        with pytest.raises(InvalidInput) as caught:
            create_organization(
                session, clock, "", default_currency="XYZ", siren="123", timezone="Nowhere"
            )
        assert {e.field for e in caught.value.errors} == {
            "legal_name",
            "default_currency",
            "siren",
            "timezone",
        }
        assert session.query(Organization).filter_by(legal_name="").count() == 0


def test_update_organization_is_scoped_to_the_context(
    ctx: Ctx, session: Session, make_tenant: Any
) -> None:
    other = make_tenant("Other SAS")
    update_organization(ctx, {"city": "Lyon"})
    session.flush()
    assert session.get(Organization, ctx.organization_id).city == "Lyon"  # type: ignore[union-attr]
    assert session.get(Organization, other.id).city is None  # type: ignore[union-attr]
