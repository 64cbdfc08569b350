"""The organization's document settings: validation, logos kept per content, the demo's."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tarif.context import Ctx
from tarif.errors import InvalidInput
from tarif.tenancy import documents
from tarif.tenancy import service as tenancy
from tarif.tenancy.models import OrganizationLogo

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'
OTHER_SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'


def test_a_new_organization_has_the_statutory_default_rate(ctx: Ctx) -> None:
    # ECB main refinancing rate 2.15 % + 10 points = 12.15 %
    assert tenancy.get_organization(ctx).late_penalty_rate == Decimal("12.15")


def test_settings_are_normalized(ctx: Ctx) -> None:
    org = tenancy.update_organization(
        ctx,
        {
            "late_penalty_rate": "10,5",
            "accent_colour": " #A0B1C2 ",
            "rcs": "  RCS Paris 732 829 320 ",
            "invoice_footer": "",
        },
    )
    assert org.late_penalty_rate == Decimal("10.5")
    assert org.accent_colour == "#a0b1c2"
    assert org.rcs == "RCS Paris 732 829 320"
    assert org.invoice_footer is None


def test_every_bad_setting_is_named_at_once(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as caught:
        tenancy.update_organization(
            ctx,
            {
                "late_penalty_rate": "abc",
                "accent_colour": "#fff",
                "legal_form_and_capital": "x" * 201,
            },
        )
    assert {e.field for e in caught.value.errors} == {
        "late_penalty_rate",
        "accent_colour",
        "legal_form_and_capital",
    }


@pytest.mark.parametrize("rate", ["0", "100", "3.2475"])
def test_rates_from_0_to_100_are_accepted(ctx: Ctx, rate: str) -> None:
    assert tenancy.update_organization(ctx, {"late_penalty_rate": rate}).late_penalty_rate == (
        Decimal(rate)
    )


@pytest.mark.parametrize("rate", ["100.0001", "-0.01", "1.23456"])
def test_rates_outside_0_to_100_or_too_precise_are_refused(ctx: Ctx, rate: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        tenancy.update_organization(ctx, {"late_penalty_rate": rate})
    assert [e.field for e in caught.value.errors] == ["late_penalty_rate"]


def test_every_logo_used_is_kept(ctx: Ctx) -> None:
    documents.set_logo(ctx, SVG)
    documents.set_logo(ctx, OTHER_SVG)
    documents.set_logo(ctx, SVG)  # back to the first: no second copy
    org = documents.remove_logo(ctx)
    assert org.logo_sha256 is None
    stmt = select(func.count()).select_from(OrganizationLogo)
    count = ctx.session.scalar(stmt.where(OrganizationLogo.organization_id == ctx.organization_id))
    assert count == 2
    row = documents.logo_row(ctx, hashlib.sha256(OTHER_SVG).hexdigest())
    assert row is not None and row.media_type == "image/svg+xml" and row.content == OTHER_SVG


@pytest.mark.parametrize(
    "content",
    [b"", b"GIF89a....", b"<svg", b"<html><body/></html>", b"\xff\xd8\xff" + b"\x00" * 10],
)
def test_unreadable_logos_are_refused(ctx: Ctx, content: bytes) -> None:
    with pytest.raises(InvalidInput) as caught:
        documents.set_logo(ctx, content)
    assert [e.field for e in caught.value.errors] == ["logo"]


def test_the_demo_settings_load_once(ctx: Ctx) -> None:
    documents.load_demo_documents(ctx)
    org = tenancy.get_organization(ctx)
    first = (org.legal_form_and_capital, org.rcs, org.logo_sha256)
    assert first[0] == "SAS au capital de 50 000 €" and first[2] is not None
    tenancy.update_organization(ctx, {"rcs": "RCS Lyon 1"})
    documents.load_demo_documents(ctx)
    assert tenancy.get_organization(ctx).rcs == "RCS Lyon 1"  # a setting made stays
