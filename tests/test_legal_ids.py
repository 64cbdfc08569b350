"""Legal identifiers, checked with python-stdnum."""

from __future__ import annotations

import pytest

from tarif.legal_ids import (
    check_country,
    check_siren,
    check_siret,
    check_vat_number,
    siren_of_siret,
    vat_country,
)


def test_valid_identifiers_are_normalized() -> None:
    assert check_siren("732 829 320") == "732829320"
    assert check_siret("732 829 320 00074") == "73282932000074"
    assert check_vat_number("fr 44 732829320") == "FR44732829320"
    assert siren_of_siret("73282932000074") == "732829320"
    assert check_country(" fr ") == "FR"


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (check_siren, "732829321"),  # Luhn checksum fails
        (check_siret, "73282932000075"),
        (check_vat_number, "FR00732829320"),  # wrong key
        (check_vat_number, "XX123"),
    ],
)
def test_invalid_identifiers_are_refused(check: object, value: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        check(value)  # type: ignore[operator]


@pytest.mark.parametrize("code", ["ZZ", "EU", "EZ", "UN", "QO", "XA", "XB", "F", "FRA"])
def test_regions_that_are_not_countries_are_refused(code: str) -> None:
    with pytest.raises(ValueError, match="ISO 3166-1"):
        check_country(code)


def test_kosovo_is_accepted_as_the_eu_does() -> None:
    assert check_country("XK") == "XK"


def test_greek_vat_numbers_belong_to_greece() -> None:
    assert vat_country("EL094259216") == "GR"
    assert vat_country("DE136695976") == "DE"
