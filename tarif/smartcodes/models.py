"""Tables of SmartCodes: `smartcodes` and their immutable `smartcode_versions`.

A SmartCode keeps a `code` unique in its organization, a name, a kind and `latest_version`. Each
save is a new `smartcode_versions` row numbered 1, 2, 3… per SmartCode (unique key), never
updated nor deleted: an invoice line can name the exact source that priced it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tarif.db.base import Base, TenantScoped, Timestamped


class SmartCode(TenantScoped, Timestamped, Base):
    __tablename__ = "smartcodes"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))  # valuation | pricing
    latest_version: Mapped[int] = mapped_column(Integer)


class SmartCodeVersion(TenantScoped, Base):
    __tablename__ = "smartcode_versions"
    __table_args__ = (UniqueConstraint("smartcode_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    smartcode_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("smartcodes.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # the SmartCode's kind, kept for the runner
    source: Mapped[str] = mapped_column(Text)
    source_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the UTF-8 source, hex
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
