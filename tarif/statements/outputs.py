"""A statement in the format asked: JSON values, CSV text or the PDF, with its file name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tarif.context import Ctx
from tarif.errors import ErrorCollector
from tarif.statements import export
from tarif.statements.rules import GroupBy, Statement, check_format, parse_group_by
from tarif.tenancy.models import Organization

CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"


@dataclass(frozen=True)
class Output:
    content: bytes
    media_type: str
    file_name: str


def parse_options(group_by: str | None, fmt: str | None) -> tuple[GroupBy, str]:
    """Both checked at once: a bad `group_by` and a bad `format` are one 422 naming both."""
    errors = ErrorCollector()
    grouping = parse_group_by(group_by, errors)
    chosen = check_format(fmt, errors)
    errors.raise_if_any()
    return grouping, chosen


def as_json(statement: Statement) -> dict[str, Any]:
    return export.as_json(statement)


def as_file(ctx: Ctx, statement: Statement, fmt: str) -> Output:
    if fmt == "csv":
        text = export.as_csv(statement)
        return Output(text.encode(), CSV, export.file_name(statement, "csv"))
    from tarif.statements.pdf import render_pdf

    org = ctx.session.get_one(Organization, ctx.organization_id)
    content = render_pdf(statement, org.legal_name)
    return Output(content, PDF, export.file_name(statement, "pdf"))
