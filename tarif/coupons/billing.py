"""Coupons on draft invoices: the discount lines a billing run adds before totals.

`apply_coupons(ctx, drafts, as_of)` places each contract's lines on each draft in the contract's
billing periods (`tarif.billing.coupon_periods`, replayed from the stored lines) and adds, for
each redemption, one negative line per VAT rate over the lines of the periods it discounts
(`tarif.billing.invoice_discounts`). The lines are stored by the run with the other lines.
Whether a once coupon was used is read from the stored coupon lines, not from the redemption's
status, so a preview (dry run, upcoming invoice) that marks a redemption `used_up`
and is rolled back, or an invoice refused by the unique key, never loses a discount; the status
(`used_up`, with `ends_on` the day after the first invoice for a once coupon) is for people.

What a coupon line stores, chosen so the unique key of `invoice_lines` (organization, contract,
line key, version, period, kind, adjustment) refuses the same discount twice:

- `source` "coupon", `kind` "discount"; `adjustment` true when it completes a period an earlier
  invoice opened (false on the period's first discount);
- `line_key` `coupon:<redemption id>:<VAT rate>` (one line per rate of the same redemption);
- `contract_version` the latest version among the lines it reduces (a later amendment's
  adjustments carry a later version, so their discount is a different line);
- `period` the span of the reduced lines' periods on this invoice; `full_period` the days of the
  coupon period it discounts, which tells later runs what each period already took.

A coupon reduces the charges of the invoice it is on, never its credits: a credit gives back
the days it credits at the price the customer paid for them. When the invoice that billed those
days had a coupon line, the credit comes with a positive line giving that coupon's share back
(`_give_back_on_credits`): 310.00 billed with 20 % off (62.00), 11 days of 31 credited (−110.00)
→ +22.00, so −88.00 is returned for 88.00 paid. The share is read from the stored lines (the
coupon line over its base at that VAT rate), so it holds whatever the coupon's state now (used
up, expired, removed) and for fixed amounts too (50.00 off 310.00: 110.00 × 50/310 = 17.74).
Its line key is the coupon line's followed by `:credited`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import select

from tarif.billing.charges import Charge, ChargeKind
from tarif.billing.coupon_periods import (
    Billed,
    CouponPeriod,
    coupon_takes,
    period_of,
    place,
    replay,
)
from tarif.billing.invoice_discounts import (
    CoveredLine,
    DiscountPart,
    InvoiceDiscountKind,
)
from tarif.billing.periods import Period
from tarif.context import Ctx
from tarif.coupons.models import Coupon, CouponRedemption
from tarif.coupons.rules import (
    CouponDuration,
    RedemptionStatus,
    applies_on,
    describe,
)
from tarif.db.among import among, dialect_of
from tarif.db.repository import scoped
from tarif.invoicing.models import Invoice, InvoiceLine
from tarif.money import RoundingMode, currency, round_to_minor_unit
from tarif.tenancy.models import Organization

COUPON_SOURCE = "coupon"

# A coupon discounts the redeeming contract's fixed and usage lines alike.
DISCOUNTED_SOURCES = ("contract", "usage")


class DiscountLineKind(StrEnum):
    DISCOUNT = "discount"


class DiscountPriceSource(StrEnum):
    COUPON = "coupon"
    DISCOUNT = "discount"


@dataclass(frozen=True)
class DiscountCharge:
    """A discount line in the shape of a core `Charge`, so a draft stores it like any line."""

    line_key: str
    version: int
    period: Period
    full_period: Period
    due_on: date
    net: Decimal  # negative
    description: str
    price_source: DiscountPriceSource = DiscountPriceSource.COUPON
    kind: DiscountLineKind = DiscountLineKind.DISCOUNT
    amendment_id: str | None = None
    adjustment: bool = False
    discount_amount: Decimal = Decimal(0)
    discounts: tuple[Any, ...] = field(default=())

    @property
    def quantity(self) -> Decimal:
        return Decimal(1)

    @property
    def unit_price(self) -> Decimal:
        return self.net

    @property
    def gross(self) -> Decimal:
        return self.net


def coupon_line_key(redemption_id: str, vat_rate: Decimal) -> str:
    return f"coupon:{redemption_id}:{format(vat_rate.normalize(), 'f')}"


CREDITED = ":credited"  # ends the line key of a coupon's share given back on credits


def _redemption_of(line_key: str) -> str:
    return line_key.split(":")[1] if line_key.count(":") >= 1 else ""


def apply_coupons(ctx: Ctx, drafts: Sequence[Any], as_of: date) -> None:
    """Adds coupon discount lines to `drafts` (`DraftInvoice`s whose lines are complete and
    whose totals are not computed yet). `as_of` is the run's day; each draft is judged on its
    own billing date (a run can make several invoices of a contract). Drafts correcting an
    invoice (credit notes) get no coupon, only the shares given back on their credits.

    A coupon discounts billing periods, not invoices (`tarif.billing.coupon_periods`): the
    contract's periods are replayed from the lines already billed, then each draft's lines are
    placed in them; a draft's lines of a period already billed (an amendment's prorated charge
    on an extra invoice) get the coupon only if that period had it, and a fixed amount only
    what is left of it for that period."""
    from tarif.invoicing.service_runs import DraftLine

    org = ctx.session.get(Organization, ctx.organization_id)
    mode = RoundingMode(org.rounding_mode) if org is not None else RoundingMode.HALF_UP
    _give_back_on_credits(ctx, drafts, mode, DraftLine)
    contract_ids = {
        line.contract_id
        for draft in drafts
        if draft.key.corrects_invoice_id is None
        for line in draft.lines
        if getattr(line, "source", "contract") in DISCOUNTED_SOURCES
    }
    if not contract_ids:
        return
    # Every live redemption of the organization, filtered here: far fewer rows than a run's
    # contracts, and no `IN` list that could pass the database's bound-parameter limit.
    stmt = scoped(CouponRedemption, ctx.organization_id).where(
        CouponRedemption.status != RedemptionStatus.REMOVED.value,
        CouponRedemption.redeemed_on <= as_of,
    )
    redemptions = [
        r
        for r in ctx.session.scalars(stmt.order_by(CouponRedemption.id))
        if r.contract_id in contract_ids
    ]
    if not redemptions:
        return
    coupons = {
        c.id: c
        for c in ctx.session.scalars(
            scoped(Coupon, ctx.organization_id).where(
                Coupon.id.in_(sorted({r.coupon_id for r in redemptions}))
            )
        )
    }
    contracts = sorted({r.contract_id for r in redemptions})
    periods = _contract_periods(ctx, contracts)
    rows = _stored_rows(ctx, contracts)
    stored = {
        (row.line_key or "", row.contract_version, row.period_start, row.period_end, row.adjustment)
        for row in rows
    }
    ledgers = {r.id: _Ledger() for r in redemptions}
    for row in rows:
        ledger = ledgers.get(_redemption_of(row.line_key or ""))
        if ledger is not None:
            ledger.record(periods.setdefault(row.contract_id, []), row)
    by_contract: dict[str, list[CouponRedemption]] = {}
    for redemption in redemptions:
        by_contract.setdefault(redemption.contract_id, []).append(redemption)
    # Credit notes too, first on their day: what their credits give back frees a fixed amount.
    for draft in sorted(
        drafts, key=lambda d: (d.key.billing_date, d.key.corrects_invoice_id is None)
    ):
        billing_date: date = draft.key.billing_date
        for contract_id in _contracts_in_order(draft):
            if contract_id not in by_contract:
                continue
            contract_periods = periods.setdefault(contract_id, [])
            if draft.key.corrects_invoice_id is not None:
                for redemption in by_contract[contract_id]:
                    ledgers[redemption.id].give_backs(
                        contract_periods, draft, contract_id, redemption.id
                    )
                continue
            covered = _covered(draft, contract_id)
            before = len(contract_periods)
            placed = place(
                contract_periods,
                [Billed(line.charge.period, line.charge.full_period) for line in covered],
                billing_date,
            )
            opened = range(before, len(contract_periods))
            for redemption in by_contract[contract_id]:
                ledger = ledgers[redemption.id]
                ledger.give_backs(contract_periods, draft, contract_id, redemption.id)
                coupon = coupons[redemption.coupon_id]
                starts = [p for p in opened if p not in ledger.discounted]
                if starts and applies_on(
                    CouponDuration(coupon.duration),
                    redemption.redeemed_on,
                    redemption.ends_on,
                    RedemptionStatus(redemption.status),
                    billing_date,
                    already_used=_once(coupon) and bool(ledger.discounted),
                ):
                    # A once coupon discounts one period: the first the invoice opens.
                    newly = starts[:1] if _once(coupon) else starts
                else:
                    newly = []
                    _settle(redemption, coupon, billing_date, bool(ledger.discounted))
                added = _discount_lines(
                    draft,
                    contract_id,
                    redemption,
                    coupon,
                    mode,
                    DraftLine,
                    stored,
                    covered,
                    placed,
                    contract_periods,
                    ledger,
                    newly,
                    opened,
                )
                if added and _once(coupon):
                    redemption.status = RedemptionStatus.USED_UP.value
                    redemption.ends_on = billing_date + timedelta(days=1)


def _settle(redemption: CouponRedemption, coupon: Coupon, day: date, used: bool) -> None:
    """A redemption that gives nothing any more on `day` reads `used_up`."""
    if redemption.status != RedemptionStatus.ACTIVE.value or day < redemption.redeemed_on:
        return
    ended = redemption.ends_on is not None and day >= redemption.ends_on
    if ended or (_once(coupon) and used):
        redemption.status = RedemptionStatus.USED_UP.value


def _once(coupon: Coupon) -> bool:
    return coupon.duration == CouponDuration.ONCE.value


StoredKey = tuple[str, int | None, date | None, date | None, bool]


def _stored_rows(ctx: Ctx, contracts: list[str]) -> list[Any]:
    """The coupon lines already stored on these contracts, with their invoice's billing date."""
    stmt = (
        select(
            InvoiceLine.contract_id,
            InvoiceLine.line_key,
            InvoiceLine.contract_version,
            InvoiceLine.period_start,
            InvoiceLine.period_end,
            InvoiceLine.full_period_start,
            InvoiceLine.full_period_end,
            InvoiceLine.adjustment,
            InvoiceLine.net_amount,
            Invoice.billing_date,
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.organization_id == ctx.organization_id,
            InvoiceLine.source == COUPON_SOURCE,
            among(InvoiceLine.contract_id, contracts, dialect_of(ctx.session)),
        )
        .order_by(InvoiceLine.id)
    )
    return list(ctx.session.execute(stmt))


def _contract_periods(ctx: Ctx, contracts: list[str]) -> dict[str, list[CouponPeriod]]:
    """Each contract's billing periods, replayed from the lines a coupon covers that are
    already stored (charges, not credits), by their invoice's billing date."""
    stmt = (
        select(
            InvoiceLine.contract_id,
            Invoice.billing_date,
            InvoiceLine.period_start,
            InvoiceLine.period_end,
            InvoiceLine.full_period_start,
            InvoiceLine.full_period_end,
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.organization_id == ctx.organization_id,
            among(InvoiceLine.contract_id, contracts, dialect_of(ctx.session)),
            InvoiceLine.source.in_(DISCOUNTED_SOURCES),
            InvoiceLine.kind != ChargeKind.CREDIT.value,
        )
    )
    history: dict[str, dict[date, list[Billed]]] = {}
    for contract_id, billing_date, start, end, full_start, full_end in ctx.session.execute(stmt):
        if start is None or end is None or end <= start:
            continue
        period = Period(start, end)
        full = Period(full_start, full_end) if full_start and full_end else period
        history.setdefault(contract_id, {}).setdefault(billing_date, []).append(
            Billed(period, full)
        )
    return {contract_id: replay(days.items()) for contract_id, days in history.items()}


@dataclass
class _Ledger:
    """One redemption's periods: those it discounts, and what it takes off each so far (its
    coupon lines less the shares credits gave back), from the stored lines and this run's."""

    discounted: set[int] = field(default_factory=set)
    taken: dict[int, Decimal] = field(default_factory=dict)

    def record(self, periods: list[CouponPeriod], row: Any) -> None:
        """A stored coupon line of the redemption."""
        if row.period_start is None or row.period_end is None:
            return
        period = Period(row.period_start, row.period_end)
        full = (
            Period(row.full_period_start, row.full_period_end)
            if row.full_period_start and row.full_period_end
            else period
        )
        net = Decimal(row.net_amount)
        if (row.line_key or "").endswith(CREDITED):
            self._add(_holding(periods, Billed(period, full)), net)
            return
        # A period's discount stores the period's days as its full period; a line stored
        # before, as the first discount of an invoice, belongs to the period it opened.
        index = next((i for i, p in enumerate(periods) if p.days == full), None)
        if index is None and not row.adjustment:
            index = next(
                (i for i, p in enumerate(periods) if p.opened_on == row.billing_date), None
            )
        if index is None:
            index = _holding(periods, Billed(period, full))
        if index is not None and not row.adjustment:
            self.discounted.add(index)
        self._add(index, net)

    def give_backs(
        self, periods: list[CouponPeriod], draft: Any, contract_id: str, redemption_id: str
    ) -> None:
        """The shares this draft's credits give back of the redemption's discounts."""
        for line in draft.lines:
            key = line.charge.line_key
            if (
                line.source == COUPON_SOURCE
                and line.contract_id == contract_id
                and key.endswith(CREDITED)
                and _redemption_of(key) == redemption_id
            ):
                billed = Billed(line.charge.period, line.charge.full_period)
                self._add(_holding(periods, billed), line.charge.net)

    def _add(self, index: int | None, net: Decimal) -> None:
        if index is not None:
            self.taken[index] = self.taken.get(index, Decimal(0)) - net


def _holding(periods: Sequence[CouponPeriod], line: Billed) -> int | None:
    """The period of a line, or else the latest opened holding its first day."""
    index = period_of(periods, line)
    if index is not None:
        return index
    day = line.period.start
    return next(
        (
            i
            for i in reversed(range(len(periods)))
            if periods[i].days.start <= day < periods[i].days.end
        ),
        None,
    )


def _contracts_in_order(draft: Any) -> list[str]:
    seen: dict[str, None] = {}
    for line in draft.lines:
        if getattr(line, "source", "contract") in DISCOUNTED_SOURCES:
            seen.setdefault(line.contract_id, None)
    return list(seen)


def _covered(draft: Any, contract_id: str) -> list[Any]:
    """The contract's lines a coupon covers on the draft: its charges, fixed and usage. A
    credit gives back what was paid: its share of a coupon is its own (see above)."""
    return [
        line
        for line in draft.lines
        if line.contract_id == contract_id
        and getattr(line, "source", "contract") in DISCOUNTED_SOURCES
        and line.charge.kind != ChargeKind.CREDIT
    ]


def _discount_lines(
    draft: Any,
    contract_id: str,
    redemption: CouponRedemption,
    coupon: Coupon,
    mode: RoundingMode,
    draft_line: Any,
    stored: set[StoredKey],
    covered: list[Any],
    placed: list[int],
    periods: list[CouponPeriod],
    ledger: _Ledger,
    newly: list[int],
    opened: range,
) -> bool:
    """Inserts the redemption's lines after the contract's last line; True when the periods
    in `newly` (opened by this draft, discounted from now on) got a discount."""
    if not covered:
        return False
    money = currency(draft.key.currency)
    ledger.discounted.update(newly)
    takes = coupon_takes(
        InvoiceDiscountKind(coupon.kind),
        Decimal(coupon.value),
        money,
        mode,
        [
            CoveredLine(round_to_minor_unit(line.charge.net, money, mode), line.vat_rate)
            for line in covered
        ],
        placed,
        ledger.discounted,
        opened,
        ledger.taken,
    )
    if not takes:
        ledger.discounted.difference_update(newly)
        return False
    # A period whose first invoice takes nothing off (nothing to discount) stays undiscounted,
    # as the stored lines will say.
    reduced = {placed[i] for take in takes for i in take.lines}
    ledger.discounted.difference_update(p for p in newly if p not in reduced)
    description = describe(
        coupon.code, InvoiceDiscountKind(coupon.kind), Decimal(coupon.value), coupon.currency
    )
    new_lines = []
    for take in takes:
        lines = [covered[i] for i in take.lines]
        span = Period(
            min(line.charge.period.start for line in lines),
            max(line.charge.period.end for line in lines),
        )
        version = max(line.charge.version for line in lines)
        for part in take.parts:
            # What a fixed amount has left for the period (a percentage keeps no count).
            ledger.taken[take.period] = ledger.taken.get(take.period, Decimal(0)) + part.amount
            # Already stored (a draft whose contract lines are written again keeps its coupon
            # lines): the unique key would refuse it, and the discount is there.
            key = coupon_line_key(redemption.id, part.vat_rate)
            if (key, version, span.start, span.end, take.adjustment) in stored:
                continue
            new_lines.append(
                _line(
                    draft_line,
                    contract_id,
                    redemption,
                    part,
                    lines,
                    span,
                    periods[take.period].days,
                    take.adjustment,
                    version,
                    draft,
                    description,
                )
            )
    if new_lines:
        ids = {id(line) for line in covered}
        last = max(i for i, line in enumerate(draft.lines) if id(line) in ids)
        draft.lines[last + 1 : last + 1] = new_lines
    return any(not take.adjustment for take in takes)


def _line(
    draft_line: Any,
    contract_id: str,
    redemption: CouponRedemption,
    part: DiscountPart,
    covered: list[Any],
    span: Period,
    days: Period,
    adjustment: bool,
    version: int,
    draft: Any,
    description: str,
) -> Any:
    category = next(
        (line.vat_category for line in covered if line.vat_rate == part.vat_rate), "standard"
    )
    # The full period names the coupon period whose discount this is (`_Ledger.record`).
    charge = DiscountCharge(
        line_key=coupon_line_key(redemption.id, part.vat_rate),
        version=version,
        period=span,
        full_period=days,
        due_on=draft.key.billing_date,
        net=-part.amount,
        description=description,
        adjustment=adjustment,
    )
    # The draft stores any object with a charge's fields (see `write_lines`).
    return draft_line(
        contract_id=contract_id,
        product_id=None,
        vat_category=category,
        vat_rate=part.vat_rate,
        charge=cast(Charge, charge),
        source=COUPON_SOURCE,
    )


# --- coupon shares given back on credits ---------------------------------------------------------


@dataclass
class _GiveBack:
    """What a coupon gave on the days a draft's credits of one contract give back, at one rate."""

    amount: Decimal = Decimal(0)  # full precision, positive
    lines: list[Any] = field(default_factory=list)  # the credits
    description: str = ""


def _give_back_on_credits(
    ctx: Ctx, drafts: Sequence[Any], mode: RoundingMode, draft_line: Any
) -> None:
    """After each contract's credits on a draft, a positive line per coupon and VAT rate giving
    back that coupon's share of the credited days (read from the invoice that billed them)."""
    credits = [
        (draft, line)
        for draft in drafts
        for line in draft.lines
        if line.source == "contract" and line.charge.kind == ChargeKind.CREDIT
    ]
    if not credits:
        return
    contracts = sorted({line.contract_id for _, line in credits})
    coupon_rows = _coupon_rows(ctx, contracts)  # few or none: read first
    invoices = {row.invoice_id for row in coupon_rows if not row.line_key.endswith(CREDITED)}
    if not invoices:
        return
    billed_by = _billing_invoices(
        ctx, contracts, {line.charge.full_period.start for _, line in credits}
    )
    bases = _covered_bases(ctx, contracts, invoices)
    shares: dict[tuple[str, str, Decimal], list[tuple[str, Decimal, str]]] = {}
    for row in coupon_rows:
        base = bases.get((row.invoice_id, row.contract_id, row.vat_rate), Decimal(0))
        if row.line_key.endswith(CREDITED) or row.net_amount >= 0 or base <= 0:
            continue
        shares.setdefault((row.invoice_id, row.contract_id, row.vat_rate), []).append(
            (_redemption_of(row.line_key), -row.net_amount / base, row.description)
        )
    stored = {
        (row.line_key, row.contract_version, row.period_start, row.period_end)
        for row in coupon_rows
        if row.line_key.endswith(CREDITED)
    }
    give_backs: dict[tuple[int, str, str, Decimal], _GiveBack] = {}
    drafts_by_id = {id(draft): draft for draft, _ in credits}
    for draft, line in credits:
        charge = line.charge
        invoice_id = next(
            (
                invoice
                for start, end, invoice in billed_by.get(
                    (line.contract_id, charge.line_key, charge.full_period.start), []
                )
                if start <= charge.period.start < end
            ),
            None,
        )
        money = currency(draft.key.currency)
        credited = round_to_minor_unit(charge.net, money, mode)
        for redemption_id, share, description in shares.get(
            (invoice_id or "", line.contract_id, line.vat_rate), []
        ):
            key = (id(draft), line.contract_id, redemption_id, line.vat_rate)
            give_back = give_backs.setdefault(key, _GiveBack(description=description))
            give_back.amount += -credited * share
            give_back.lines.append(line)
    for (draft_id, contract_id, redemption_id, vat_rate), give_back in give_backs.items():
        draft = drafts_by_id[draft_id]
        amount = round_to_minor_unit(give_back.amount, currency(draft.key.currency), mode)
        lines = give_back.lines
        span = Period(
            min(line.charge.period.start for line in lines),
            max(line.charge.period.end for line in lines),
        )
        version = max(line.charge.version for line in lines)
        line_key = coupon_line_key(redemption_id, vat_rate) + CREDITED
        if amount <= 0 or (line_key, version, span.start, span.end) in stored:
            continue
        # The credits' billing period (the shortest), which places the share given back in
        # the coupon period it frees (`_Ledger`).
        full = min((line.charge.full_period for line in lines), key=lambda p: (p.days, p.start))
        charge = DiscountCharge(
            line_key=line_key,
            version=version,
            period=span,
            full_period=full,
            due_on=draft.key.billing_date,
            net=amount,
            description=f"{give_back.description}, on the days credited",
        )
        new_line = draft_line(
            contract_id=contract_id,
            product_id=None,
            vat_category=lines[0].vat_category,
            vat_rate=vat_rate,
            charge=cast(Charge, charge),
            source=COUPON_SOURCE,
        )
        ids = {id(line) for line in lines}
        last = max(i for i, line in enumerate(draft.lines) if id(line) in ids)
        draft.lines.insert(last + 1, new_line)


def _billing_invoices(
    ctx: Ctx, contracts: list[str], full_starts: set[date]
) -> dict[tuple[str, str, date], list[tuple[date, date, str]]]:
    """The charges of `contracts` for the full periods starting on `full_starts`, by (contract,
    line, full period start): each one's days and invoice. A credit names the days it gives
    back by the same line and full period; the charge holding its first day billed them."""
    dialect = dialect_of(ctx.session)
    stmt = select(
        InvoiceLine.contract_id,
        InvoiceLine.line_key,
        InvoiceLine.full_period_start,
        InvoiceLine.period_start,
        InvoiceLine.period_end,
        InvoiceLine.invoice_id,
    ).where(
        InvoiceLine.organization_id == ctx.organization_id,
        among(InvoiceLine.contract_id, contracts, dialect),
        among(InvoiceLine.full_period_start, sorted(full_starts), dialect),
        InvoiceLine.source == "contract",
        InvoiceLine.kind == ChargeKind.CHARGE.value,
    )
    billed: dict[tuple[str, str, date], list[tuple[date, date, str]]] = {}
    for contract_id, line_key, full_start, start, end, invoice_id in ctx.session.execute(stmt):
        billed.setdefault((contract_id, line_key, full_start), []).append((start, end, invoice_id))
    return billed


def _coupon_rows(ctx: Ctx, contracts: list[str]) -> list[Any]:
    stmt = select(
        InvoiceLine.invoice_id,
        InvoiceLine.contract_id,
        InvoiceLine.line_key,
        InvoiceLine.vat_rate,
        InvoiceLine.net_amount,
        InvoiceLine.contract_version,
        InvoiceLine.period_start,
        InvoiceLine.period_end,
        InvoiceLine.description,
    ).where(
        InvoiceLine.organization_id == ctx.organization_id,
        among(InvoiceLine.contract_id, contracts, dialect_of(ctx.session)),
        InvoiceLine.source == COUPON_SOURCE,
    )
    return list(ctx.session.execute(stmt))


def _covered_bases(
    ctx: Ctx, contracts: list[str], invoices: set[str]
) -> dict[tuple[str, str, Decimal], Decimal]:
    """The base each coupon line was computed on: per invoice, contract and VAT rate, the sum
    of the rounded nets of the lines a coupon covers (summed here: exact on SQLite too)."""
    dialect = dialect_of(ctx.session)
    stmt = select(
        InvoiceLine.invoice_id,
        InvoiceLine.contract_id,
        InvoiceLine.vat_rate,
        InvoiceLine.net_amount,
    ).where(
        InvoiceLine.organization_id == ctx.organization_id,
        among(InvoiceLine.invoice_id, sorted(invoices), dialect),
        among(InvoiceLine.contract_id, contracts, dialect),
        InvoiceLine.source.in_(DISCOUNTED_SOURCES),
        InvoiceLine.kind != ChargeKind.CREDIT.value,
    )
    bases: dict[tuple[str, str, Decimal], Decimal] = {}
    for invoice_id, contract_id, vat_rate, net in ctx.session.execute(stmt):
        key = (invoice_id, contract_id, vat_rate)
        bases[key] = bases.get(key, Decimal(0)) + net
    return bases
