"""Contract templates: immutable versions, and draft contracts instantiated from one.

Editing a template stores its next version (`templates.revise`); contracts keep the version
they came from (`contracts.template_version_id` and `ContractTerms.template`), so they never
change when the template does.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import Any

from tarif.audit.service import record, snapshot
from tarif.catalog import service as catalog
from tarif.context import Ctx
from tarif.contracts import service_catalog as cat
from tarif.contracts import service_store as store
from tarif.contracts.codec import decode_template, encode_template
from tarif.contracts.model import NoticePeriod, RenewalPolicy, metadata_of
from tarif.contracts.models import Contract, ContractTemplate, ContractTemplateVersion
from tarif.contracts.parameters import (
    Param,
    ParameterType,
    ParameterTypeError,
    TemplateParameter,
    coerce,
    resolve_parameters,
)
from tarif.contracts.rules import raise_if_any
from tarif.contracts.schemas import (
    ParameterInput,
    ParamRef,
    TemplateCreate,
    TemplateInstantiate,
    TemplateLineInput,
    TemplateTermsInput,
    TemplateUpdate,
)
from tarif.contracts.service_contracts import store_new_contract, validate_new
from tarif.contracts.service_inputs import (
    Problems,
    activation_of,
    commitment_of,
    default_periodicity,
    default_timing,
    discount_of,
    end_of,
    fee_of,
    periodicity_of,
)
from tarif.contracts.templates import (
    TemplateLine,
    TemplateTerms,
    TemplateVersion,
    instantiate,
    revise,
    validate_template,
)
from tarif.db.repository import Page, PageRequest, get_scoped, paginate, scoped
from tarif.errors import FieldError, InvalidInput, NotFound
from tarif.ids import new_id
from tarif.tenancy.rules import Permission


@dataclass(frozen=True)
class TemplateView:
    template: ContractTemplate
    row: ContractTemplateVersion
    version: TemplateVersion


# --- reads -------------------------------------------------------------------------------------


def list_templates(ctx: Ctx, page: PageRequest) -> Page[ContractTemplate]:
    """Templates in id (creation) order; `q` searches the name."""
    if page.q is not None and not store.searchable(page.q):
        raise InvalidInput.on("q", "must not contain NUL characters")
    stmt = scoped(ContractTemplate, ctx.organization_id)
    return paginate(ctx.session, stmt, ContractTemplate, page, (ContractTemplate.name,))


def get_template(ctx: Ctx, template_id: str) -> ContractTemplate:
    if not store.searchable(template_id):
        raise NotFound(f"template '{template_id}' not found")
    template: ContractTemplate = get_scoped(
        ctx.session, ContractTemplate, ctx.organization_id, template_id
    )
    return template


def template_versions(ctx: Ctx, template_id: str) -> list[ContractTemplateVersion]:
    template = get_template(ctx, template_id)
    stmt = scoped(ContractTemplateVersion, ctx.organization_id).where(
        ContractTemplateVersion.template_id == template.id
    )
    return list(ctx.session.scalars(stmt.order_by(ContractTemplateVersion.number)))


def template_version(ctx: Ctx, template_id: str, *, number: int | None = None) -> TemplateView:
    """A version of a template (default: the latest)."""
    template = get_template(ctx, template_id)
    wanted = template.latest_version if number is None else number
    stmt = scoped(ContractTemplateVersion, ctx.organization_id).where(
        ContractTemplateVersion.template_id == template.id,
        ContractTemplateVersion.number == wanted,
    )
    row = ctx.session.scalars(stmt).one_or_none()
    if row is None:
        raise NotFound(f"template {template.id} has no version {wanted}")
    return TemplateView(template, row, _decoded(row))


def _decoded(row: ContractTemplateVersion) -> TemplateVersion:
    return decode_template(
        {
            "template_id": row.template_id,
            "version": row.number,
            "name": row.name,
            "description": row.description,
            "parameters": row.parameters,
            "terms": row.terms,
            "lines": row.lines,
        }
    )


# --- inputs → core values ----------------------------------------------------------------------


def _param(value: Any) -> Any:
    return Param(value.param) if isinstance(value, ParamRef) else value


def _parameter(data: ParameterInput) -> TemplateParameter:
    return TemplateParameter(
        name=data.name,
        type=data.type,
        default=data.default,
        choices=tuple(data.choices),
        label=data.label,
    )


def _terms(data: TemplateTermsInput, problems: Problems) -> TemplateTerms:
    return TemplateTerms(
        start_date=_param(data.start_date),
        end_date=end_of(data.end_date),
        initial_term_months=_param(data.initial_term_months),
        renewal=RenewalPolicy(data.renewal_months),
        notice=NoticePeriod(data.notice_months, data.notice_days),
        billing_alignment=data.billing_alignment,
        invoice_grouping=data.invoice_grouping,
        activation=activation_of(data.activation),
        payment_terms_days=data.payment_terms_days,
        minimum_commitment=commitment_of(
            data.minimum_commitment, "terms.minimum_commitment", problems
        ),
        metadata=metadata_of(data.metadata),
        corrections=data.corrections,
        credit_on_termination=data.credit_on_termination,
        early_termination_fee=fee_of(data.early_termination_fee),
    )


def _line(data: TemplateLineInput, path: str, problems: Problems) -> TemplateLine:
    periodicity: Any = _param(data.periodicity)
    if isinstance(periodicity, str):
        periodicity = periodicity_of(periodicity, f"{path}.periodicity", problems)
    return TemplateLine(
        line_key=data.line_key,
        product=_param(data.product),
        kind=data.kind,
        quantity=_param(data.quantity),
        periodicity=periodicity or default_periodicity(data.kind),
        timing=data.timing or default_timing(data.kind),
        unit_price=_param(data.unit_price),
        description=data.description,
        start=_param(data.start),
        end=end_of(data.end_date),
        discounts=tuple(discount_of(d) for d in data.discounts),
        minimum_commitment=commitment_of(
            data.minimum_commitment, f"{path}.minimum_commitment", problems
        ),
    )


def _checked(ctx: Ctx, version: TemplateVersion, problems: Problems) -> TemplateVersion:
    """The version with typed defaults, or `InvalidInput` naming every problem (unknown product
    codes included, in lines and in the choices of a parameter naming products)."""
    errors = problems.errors + validate_template(version)
    declared = {p.name: p for p in version.parameters}
    for index, line in enumerate(version.lines):
        codes = [line.product] if isinstance(line.product, str) else []
        parameter = declared.get(line.product.name) if isinstance(line.product, Param) else None
        if parameter is not None and parameter.type is ParameterType.CHOICE:
            codes = list(parameter.choices)
        for code in codes:
            found = catalog.find_product_by_code(ctx, code) if store.searchable(code) else None
            if found is None:
                errors.append(
                    FieldError(f"lines.{index}.product", f"unknown product code '{code}'")
                )
    raise_if_any(errors, "The template is not valid")
    typed = []
    for parameter in version.parameters:
        default = parameter.default
        if default is not None:
            with suppress(ParameterTypeError):  # reported above by validate_template
                default = coerce(parameter, default)
        typed.append(
            TemplateParameter(
                parameter.name, parameter.type, default, parameter.choices, parameter.label
            )
        )
    return TemplateVersion(
        template_id=version.template_id,
        version=version.version,
        name=version.name,
        description=version.description,
        parameters=tuple(typed),
        terms=version.terms,
        lines=version.lines,
    )


def _store_version(ctx: Ctx, version: TemplateVersion) -> ContractTemplateVersion:
    encoded = encode_template(version)
    row = ContractTemplateVersion(
        id=new_id("tpv"),
        organization_id=ctx.organization_id,
        template_id=version.template_id,
        number=version.version,
        name=version.name,
        description=version.description,
        parameters=encoded["parameters"],
        terms=encoded["terms"],
        lines=encoded["lines"],
        author=ctx.actor.label,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(row)
    return row


# --- writes ------------------------------------------------------------------------------------


def create_template(ctx: Ctx, *, data: TemplateCreate) -> ContractTemplate:
    """A template and its version 1."""
    ctx.require(Permission.WRITE_BILLING)
    problems = Problems()
    template_id = new_id("tpl")
    version = _checked(
        ctx,
        TemplateVersion(
            template_id=template_id,
            version=1,
            name=data.name,
            description=data.description,
            parameters=tuple(_parameter(p) for p in data.parameters),
            terms=_terms(data.terms, problems),
            lines=tuple(_line(line, f"lines.{i}", problems) for i, line in enumerate(data.lines)),
        ),
        problems,
    )
    now = ctx.clock.now()
    template = ContractTemplate(
        id=template_id,
        organization_id=ctx.organization_id,
        name=version.name,
        latest_version=1,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(template)
    ctx.session.flush()
    _store_version(ctx, version)
    ctx.session.flush()
    record(
        ctx,
        "create",
        "contract_template",
        template.id,
        after=snapshot(template) | {"version": encode_template(version)},
    )
    return template


def update_template(ctx: Ctx, template_id: str, *, data: TemplateUpdate) -> ContractTemplate:
    """Stores the next version with the fields given; existing contracts keep theirs."""
    ctx.require(Permission.WRITE_BILLING)
    latest = template_version(ctx, template_id)
    template = latest.template
    problems = Problems()
    version = _checked(
        ctx,
        revise(
            latest.version,
            name=data.name,
            description=data.description,
            parameters=(
                None if data.parameters is None else tuple(_parameter(p) for p in data.parameters)
            ),
            terms=None if data.terms is None else _terms(data.terms, problems),
            lines=(
                None
                if data.lines is None
                else tuple(_line(line, f"lines.{i}", problems) for i, line in enumerate(data.lines))
            ),
        ),
        problems,
    )
    before = snapshot(template)
    _store_version(ctx, version)
    template.name = version.name
    template.latest_version = version.version
    template.updated_at = ctx.clock.now()
    ctx.session.flush()
    record(
        ctx,
        "update",
        "contract_template",
        template.id,
        before,
        snapshot(template) | {"version": encode_template(version)},
    )
    return template


def _start_hint(version: TemplateVersion, values: dict[str, Any], fallback: date) -> date:
    """The contract's start as far as it can be told before instantiating (default pricelist)."""
    start = version.terms.start_date
    if isinstance(start, date):
        return start
    resolved, _problems = resolve_parameters(version.parameters, values)
    found = resolved.get(start.name)
    return found if isinstance(found, date) else fallback


def instantiate_template(ctx: Ctx, template_id: str, *, data: TemplateInstantiate) -> Contract:
    """A draft contract from a template version (default: the latest), which it records."""
    ctx.require(Permission.WRITE_BILLING)
    view = template_version(ctx, template_id, number=data.version)
    customer, problem = cat.customer_or_problem(ctx, data.customer_id)
    currency = (data.currency or (customer.currency if customer else "EUR")).upper()
    values: dict[str, Any] = dict(data.parameters)
    pricelist_id = data.pricelist_id
    if pricelist_id is None and customer is not None:
        start = _start_hint(view.version, values, store.today(ctx))
        pricelist_id = cat.default_pricelist_id(ctx, customer, currency, start)
    try:
        terms = instantiate(
            view.version,
            values,
            customer_id=data.customer_id,
            reference=data.reference,
            currency=currency,
            pricelist_id=pricelist_id,
            catalog=cat.TemplateCatalog(ctx, pricelist_id, currency),
            purchase_order=data.purchase_order or None,
        )
    except InvalidInput as exc:
        raise_if_any(([problem] if problem else []) + exc.errors, "The contract is not valid")
        raise
    validate_new(ctx, terms, customer, [problem] if problem else [], contract_id=None)
    contract = store_new_contract(ctx, terms, template_version_id=view.row.id)
    record(
        ctx,
        "instantiate",
        "contract_template",
        view.template.id,
        after={"version": view.row.number, "contract_id": contract.id},
    )
    return contract
