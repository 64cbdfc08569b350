"""Loads the demo organization idempotently: running it twice changes nothing.

The demo login and API key are fixed so `make run` can print them every time; they exist only in
the demo organization and are meant for a local trial, never for production.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tarif.clock import Clock, SystemClock
from tarif.config import Settings
from tarif.context import Actor, Ctx
from tarif.db.session import engine_for, session_factory
from tarif.ids import new_id
from tarif.tenancy import service as tenancy
from tarif.tenancy.models import ApiKey, Organization, User
from tarif.tenancy.rules import Role, hash_api_key, visible_prefix

DEMO_ORG_ID = "org_demo"
DEMO_EMAIL = "demo@tarif.example"
DEMO_PASSWORD = "demo-password"
DEMO_API_KEY = "tk_demo_local_trial_key_do_not_use_in_production"


@dataclass(frozen=True)
class DemoResult:
    organization_id: str
    login_email: str
    login_password: str
    api_key: str


def load_demo(settings: Settings, clock: Clock | None = None) -> DemoResult:
    clock = clock or SystemClock()
    factory = session_factory(engine_for(settings.database_url))
    with factory() as session:
        ctx = _demo_org(session, clock)
        _demo_user(ctx)
        _demo_key(ctx)
        load_demo_data(ctx)
        session.commit()
    return DemoResult(DEMO_ORG_ID, DEMO_EMAIL, DEMO_PASSWORD, DEMO_API_KEY)


def _demo_org(session: Session, clock: Clock) -> Ctx:
    org = session.get(Organization, DEMO_ORG_ID)
    if org is None:
        now = clock.now()
        org = Organization(
            id=DEMO_ORG_ID,
            legal_name="Nuage Démo SAS",
            address_line1="12 rue de la Paix",
            postal_code="75002",
            city="Paris",
            country="FR",
            siren="732829320",
            siret="73282932000074",
            vat_number="FR44732829320",
            default_currency="EUR",
            locale="fr",
            timezone="Europe/Paris",
            invoice_number_format="F-{year}-{seq:06d}",
            credit_note_number_format="AV-{year}-{seq:06d}",
            rounding_mode="HALF_UP",
            created_at=now,
            updated_at=now,
        )
        session.add(org)
        session.flush()
    return Ctx(session, DEMO_ORG_ID, Actor.system("demo loader"), clock)


def _demo_user(ctx: Ctx) -> None:
    if ctx.session.scalars(select(User).where(User.email == DEMO_EMAIL)).first() is None:
        tenancy.create_user(
            ctx,
            email=DEMO_EMAIL,
            name="Camille Démo",
            password=DEMO_PASSWORD,
            role=Role.ADMIN,
            locale="fr",
        )


def _demo_key(ctx: Ctx) -> None:
    digest = hash_api_key(DEMO_API_KEY)
    if ctx.session.scalars(select(ApiKey).where(ApiKey.key_hash == digest)).first() is None:
        ctx.session.add(
            ApiKey(
                id=new_id("key"),
                organization_id=DEMO_ORG_ID,
                name="Demo key",
                prefix=visible_prefix(DEMO_API_KEY),
                key_hash=digest,
                role=Role.ADMIN.value,
                created_at=ctx.clock.now(),
                updated_at=ctx.clock.now(),
                created_by="demo loader",
            )
        )


def load_demo_data(ctx: Ctx) -> None:
    """Each capability's demo records, each loader idempotent on its own natural keys."""
    from tarif.demo.records import DEMO_LOADERS

    for loader in DEMO_LOADERS:
        loader(ctx)
