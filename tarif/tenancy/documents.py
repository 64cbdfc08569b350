"""The organization's settings for its issued documents: legal mentions, penalty rate, branding.

Invoices print the late-payment penalty rate, the legal form and share capital, the trade
register entry (RCS), a free footer, and the organization's accent colour and logo. These are
copied onto each invoice when it is finalized (`tarif.invoicing.issued`), so changing them never
changes a document already issued. Logos are kept per content (`organization_logos`, by
SHA-256): an old invoice still finds the logo it was finalized with.
"""

from __future__ import annotations

import hashlib
import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from tarif.audit.service import record
from tarif.context import Ctx
from tarif.db.repository import scoped
from tarif.errors import ErrorCollector, InvalidInput
from tarif.ids import new_id
from tarif.money import parse_decimal
from tarif.tenancy.models import Organization, OrganizationLogo
from tarif.tenancy.rules import Permission

DOCUMENT_FIELDS = (
    "late_penalty_rate",
    "legal_form_and_capital",
    "rcs",
    "accent_colour",
    "invoice_footer",
)
TEXT_LIMITS = {"legal_form_and_capital": 200, "rcs": 100, "invoice_footer": 2000}
MAX_LOGO_BYTES = 512 * 1024
LOGO_MEDIA_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def check_document_settings(out: dict[str, Any], errors: ErrorCollector) -> None:
    """Normalizes the document settings present in `out`, adding an error per bad field."""
    if "late_penalty_rate" in out:
        out["late_penalty_rate"] = _rate(out["late_penalty_rate"], errors)
    for name, limit in TEXT_LIMITS.items():
        if name not in out:
            continue
        value = out[name]
        if value is None:
            continue
        if not isinstance(value, str):
            errors.add(name, "must be text")
            continue
        value = value.strip()
        if len(value) > limit:
            errors.add(name, f"at most {limit} characters")
        out[name] = value or None
    if "accent_colour" in out and out["accent_colour"] not in (None, ""):
        colour = str(out["accent_colour"]).strip()
        if not _COLOUR.fullmatch(colour):
            errors.add("accent_colour", "must be a colour written #rrggbb, e.g. #1f4e79")
        out["accent_colour"] = colour.lower()
    elif "accent_colour" in out:
        out["accent_colour"] = None


def _rate(value: Any, errors: ErrorCollector) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add("late_penalty_rate", "is required (a yearly percentage, e.g. 12.15)")
        return None
    try:
        rate = parse_decimal(str(value).strip().replace(",", "."))
    except (ValueError, ArithmeticError, InvalidOperation):
        errors.add("late_penalty_rate", "must be a percentage, e.g. 12.15")
        return None
    if not Decimal(0) <= rate <= Decimal(100):
        errors.add("late_penalty_rate", "must be between 0 and 100 (a yearly percentage)")
        return None
    if rate != rate.quantize(Decimal("0.0001")):
        errors.add("late_penalty_rate", "at most 4 decimals")
        return None
    return rate


def logo_media_type(content: bytes) -> str:
    """The logo's media type read from its bytes; InvalidInput on `logo` for anything else."""
    from tarif.invoicing.rendering.pdf import logo_media_type as sniff

    if not content:
        raise InvalidInput.on("logo", "is empty: send a PNG, JPEG or SVG image")
    if len(content) > MAX_LOGO_BYTES:
        raise InvalidInput.on(
            "logo", f"is {len(content)} bytes: at most {MAX_LOGO_BYTES // 1024} KB"
        )
    try:
        media_type = sniff(content)
    except ValueError as exc:
        raise InvalidInput.on("logo", str(exc)) from exc
    if media_type == "image/svg+xml":
        _check_svg(content)
    else:
        _check_bitmap(content)
    return media_type


def _check_bitmap(content: bytes) -> None:
    # A logo that only starts like a PNG would make every document it is printed on fail.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InvalidInput.on("logo", "is not a readable PNG or JPEG image") from exc


def _check_svg(content: bytes) -> None:
    from lxml import etree

    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise InvalidInput.on("logo", "is not a well-formed SVG image") from exc
    if etree.QName(root).localname != "svg":
        raise InvalidInput.on("logo", "is not an SVG image")


def set_logo(ctx: Ctx, content: bytes) -> Organization:
    """Makes `content` the organization's logo; every logo used stays kept for old documents."""
    ctx.require(Permission.MANAGE_SETTINGS)
    media_type = logo_media_type(content)
    org = ctx.session.get_one(Organization, ctx.organization_id)
    digest = hashlib.sha256(content).hexdigest()
    if logo_row(ctx, digest) is None:
        ctx.session.add(
            OrganizationLogo(
                id=new_id("logo"),
                organization_id=ctx.organization_id,
                sha256=digest,
                media_type=media_type,
                content=content,
                created_at=ctx.clock.now(),
            )
        )
    before = org.logo_sha256
    org.logo_sha256 = digest
    org.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, "update", "organization", org.id, {"logo_sha256": before}, {"logo_sha256": digest})
    return org


def remove_logo(ctx: Ctx) -> Organization:
    """Documents finalized from now on carry no logo; issued ones keep theirs."""
    ctx.require(Permission.MANAGE_SETTINGS)
    org = ctx.session.get_one(Organization, ctx.organization_id)
    before = org.logo_sha256
    org.logo_sha256 = None
    org.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, "update", "organization", org.id, {"logo_sha256": before}, {"logo_sha256": None})
    return org


def logo_row(ctx: Ctx, sha256: str | None) -> OrganizationLogo | None:
    if not sha256:
        return None
    stmt = scoped(OrganizationLogo, ctx.organization_id).where(OrganizationLogo.sha256 == sha256)
    found: OrganizationLogo | None = ctx.session.scalars(stmt).one_or_none()
    return found


DEMO_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32">'
    b'<rect width="32" height="32" rx="6" fill="#1f4e79"/>'
    b'<text x="40" y="23" font-family="DejaVu Sans" font-size="18" fill="#1f4e79">Nuage</text>'
    b"</svg>"
)
DEMO_SETTINGS = {
    "legal_form_and_capital": "SAS au capital de 50 000 €",
    "rcs": "RCS Paris 732 829 320",
    "invoice_footer": "Nuage Démo SAS · 12 rue de la Paix, 75002 Paris · factures@nuage.example",
}


def load_demo_documents(ctx: Ctx) -> None:
    """The demo organization's legal mentions and logo (idempotent: set once, then left)."""
    org = ctx.session.get_one(Organization, ctx.organization_id)
    for name, value in DEMO_SETTINGS.items():
        if getattr(org, name) is None:
            setattr(org, name, value)
    if org.logo_sha256 is None:
        set_logo(ctx, DEMO_LOGO)
    ctx.session.flush()
