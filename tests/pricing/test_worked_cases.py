"""Hand-worked rating cases: every model, free/prepaid units, minimum spend, groups, rounding."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from tarif.billing.totals import TaxedLine, invoice_totals
from tarif.money import RoundingMode
from tarif.pricing.charges import (
    ChargeError,
    ChargeSpec,
    LineKind,
    RatedLine,
    SmartCodeLine,
    TransactionBands,
    Usage,
    bands_of,
    fee_thresholds,
    rate_charge,
    rate_groups,
)

D = Decimal
HALF_EVEN = RoundingMode.HALF_EVEN
TIERS = [
    {"up_to": "100", "unit_price": "1.00"},
    {"up_to": "500", "unit_price": "0.80"},
    {"up_to": None, "unit_price": "0.50"},
]


def spec(model: str, metric: str = "api_calls", **fields: Any) -> ChargeSpec:
    return ChargeSpec.from_json({"metric": metric, "model": model, **fields})


def nets(lines: Sequence[RatedLine]) -> list[str]:
    return [str(line.net) for line in lines]


def rows(lines: Sequence[RatedLine]) -> list[tuple[str, str, str, str]]:
    return [(ln.kind.value, f"{ln.quantity:f}", f"{ln.unit_price:f}", str(ln.net)) for ln in lines]


# (id, charge fields, usage, currency, rounding, expected (kind, quantity, unit price, net) rows)
CASES: list[tuple[str, dict[str, Any], Usage, str, RoundingMode, list[tuple[str, str, str, str]]]]
CASES = [
    # 1234 × 0.0025 = 3.085 → HALF_UP 3.09
    (
        "per-unit-half-up",
        {"model": "per_unit", "unit_price": "0.0025"},
        Usage(D(1234)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "1234", "0.0025", "3.09")],
    ),
    # 1234 × 0.0025 = 3.085 → HALF_EVEN 3.08 (8 is even)
    (
        "per-unit-half-even",
        {"model": "per_unit", "unit_price": "0.0025"},
        Usage(D(1234)),
        "EUR",
        HALF_EVEN,
        [("usage", "1234", "0.0025", "3.08")],
    ),
    # 1500 units − 1000 free = 500 × 0.01 = 5.00
    (
        "free-units",
        {"model": "per_unit", "unit_price": "0.01", "free_units": "1000"},
        Usage(D(1500)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "500", "0.01", "5.00")],
    ),
    # 800 units, 1000 free: all free, a zero line (never negative)
    (
        "free-units-exceed-usage",
        {"model": "per_unit", "unit_price": "0.01", "free_units": "1000"},
        Usage(D(800)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "0", "0.01", "0.00")],
    ),
    # prepaid block 2000, 1200 used before → 800 left; 1500 − 800 = 700 × 0.10 = 70.00
    (
        "prepaid-units-drawn-down",
        {"model": "per_unit", "unit_price": "0.10", "prepaid_units": "2000"},
        Usage(D(1500), prepaid_used_before=D(1200)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "700", "0.10", "70.00")],
    ),
    # free first, then prepaid: 1500 − 100 free − 1000 prepaid = 400 × 0.10 = 40.00
    (
        "free-then-prepaid",
        {"model": "per_unit", "unit_price": "0.10", "free_units": "100", "prepaid_units": "1000"},
        Usage(D(1500)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "400", "0.10", "40.00")],
    ),
    # graduated 650: 100×1.00 + 400×0.80 + 150×0.50 = 100 + 320 + 75 = 495.00
    (
        "graduated-650",
        {"model": "graduated", "tiers": TIERS},
        Usage(D(650)),
        "EUR",
        RoundingMode.HALF_UP,
        [
            ("usage", "100", "1.00", "100.00"),
            ("usage", "400", "0.80", "320.00"),
            ("usage", "150", "0.50", "75.00"),
        ],
    ),
    # graduated exactly 100 (up_to is inclusive): 100 × 1.00 = 100.00, tier 2 not reached
    (
        "graduated-bound-inclusive",
        {"model": "graduated", "tiers": TIERS},
        Usage(D(100)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "100", "1.00", "100.00")],
    ),
    # graduated 100.5: 100 × 1.00 + 0.5 × 0.80 = 100.40
    (
        "graduated-fractional",
        {"model": "graduated", "tiers": TIERS},
        Usage(D("100.5")),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "100", "1.00", "100.00"), ("usage", "0.5", "0.80", "0.40")],
    ),
    # flat fees once a tier is reached: 100×0 + 10.00 fee, then 50×0.50 = 25.00 + 20.00 fee = 55.00
    (
        "graduated-flat-fees",
        {
            "model": "graduated",
            "tiers": [
                {"up_to": "100", "unit_price": "0", "flat_fee": "10.00"},
                {"up_to": None, "unit_price": "0.50", "flat_fee": "20.00"},
            ],
        },
        Usage(D(150)),
        "EUR",
        RoundingMode.HALF_UP,
        [
            ("usage", "100", "0", "0.00"),
            ("flat_fee", "1", "10.00", "10.00"),
            ("usage", "50", "0.50", "25.00"),
            ("flat_fee", "1", "20.00", "20.00"),
        ],
    ),
    # graduated with nothing used: one zero line at the first tier's price, no flat fee
    (
        "graduated-zero",
        {"model": "graduated", "tiers": TIERS},
        Usage(D(0)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "0", "1.00", "0.00")],
    ),
    # graduated after 150 free: 650 − 150 = 500 → 100×1.00 + 400×0.80 = 420.00
    (
        "graduated-free-units",
        {"model": "graduated", "tiers": TIERS, "free_units": "150"},
        Usage(D(650)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "100", "1.00", "100.00"), ("usage", "400", "0.80", "320.00")],
    ),
    # volume 650 → the open tier prices all: 650 × 0.50 = 325.00
    (
        "volume-650",
        {"model": "volume", "tiers": TIERS},
        Usage(D(650)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "650", "0.50", "325.00")],
    ),
    # volume 500 (inclusive bound) → 500 × 0.80 = 400.00
    (
        "volume-on-bound",
        {"model": "volume", "tiers": TIERS},
        Usage(D(500)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "500", "0.80", "400.00")],
    ),
    # volume with a flat fee on the tier reached: 300 × 0.80 = 240.00 + 15.00
    (
        "volume-flat-fee",
        {
            "model": "volume",
            "tiers": [
                {"up_to": "100", "unit_price": "1.00"},
                {"up_to": None, "unit_price": "0.80", "flat_fee": "15.00"},
            ],
        },
        Usage(D(300)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "300", "0.80", "240.00"), ("flat_fee", "1", "15.00", "15.00")],
    ),
    # package: ceil(1050 ÷ 500) = 3 × 20.00 = 60.00
    (
        "package",
        {"model": "package", "package_size": "500", "package_price": "20.00"},
        Usage(D(1050)),
        "EUR",
        RoundingMode.HALF_UP,
        [("package", "3", "20.00", "60.00")],
    ),
    # package after free units: 1050 − 100 = 950 → ceil(1.9) = 2 × 20.00 = 40.00
    (
        "package-free-units",
        {
            "model": "package",
            "package_size": "500",
            "package_price": "20.00",
            "free_units": "100",
        },
        Usage(D(1050)),
        "EUR",
        RoundingMode.HALF_UP,
        [("package", "2", "20.00", "40.00")],
    ),
    # package exactly full: 1000 ÷ 500 = 2 × 20.00 = 40.00
    (
        "package-exact",
        {"model": "package", "package_size": "500", "package_price": "20.00"},
        Usage(D(1000)),
        "EUR",
        RoundingMode.HALF_UP,
        [("package", "2", "20.00", "40.00")],
    ),
    # the headline: 2 % of 50,000.00 = 1,000.00; 1,200 × 0.25 = 300.00
    (
        "percentage-headline",
        {"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"},
        Usage(D("50000.00"), event_count=1200),
        "EUR",
        RoundingMode.HALF_UP,
        [
            ("percentage", "50000.00", "0.02", "1000.00"),
            ("transaction_fee", "1200", "0.25", "300.00"),
        ],
    ),
    # free amount and free transactions: 2 % × (50,000 − 10,000) = 800.00;
    # (1200 − 200) × 0.25 = 250.00
    (
        "percentage-free-amount",
        {
            "metric": "turnover",
            "model": "percentage",
            "rate": "2",
            "fixed_fee": "0.25",
            "free_amount": "10000",
            "free_units": "200",
        },
        Usage(D("50000.00"), event_count=1200),
        "EUR",
        RoundingMode.HALF_UP,
        [
            ("percentage", "40000.00", "0.02", "800.00"),
            ("transaction_fee", "1000", "0.25", "250.00"),
        ],
    ),
    # 1 % of 12.50 = 0.125 → HALF_UP 0.13
    (
        "percentage-half-up",
        {"metric": "turnover", "model": "percentage", "rate": "1"},
        Usage(D("12.50"), event_count=1),
        "EUR",
        RoundingMode.HALF_UP,
        [("percentage", "12.50", "0.01", "0.13")],
    ),
    # 1 % of 12.50 = 0.125 → HALF_EVEN 0.12
    (
        "percentage-half-even",
        {"metric": "turnover", "model": "percentage", "rate": "1"},
        Usage(D("12.50"), event_count=1),
        "EUR",
        HALF_EVEN,
        [("percentage", "12.50", "0.01", "0.12")],
    ),
    # JPY has no minor unit: 1233 × 0.5 = 616.5 → HALF_UP 617
    (
        "jpy-half-up",
        {"model": "per_unit", "unit_price": "0.5"},
        Usage(D(1233)),
        "JPY",
        RoundingMode.HALF_UP,
        [("usage", "1233", "0.5", "617")],
    ),
    # JPY: 616.5 → HALF_EVEN 616
    (
        "jpy-half-even",
        {"model": "per_unit", "unit_price": "0.5"},
        Usage(D(1233)),
        "JPY",
        HALF_EVEN,
        [("usage", "1233", "0.5", "616")],
    ),
    # KWD has 3 decimals: 1 × 0.0025 = 0.0025 → HALF_UP 0.003
    (
        "kwd-half-up",
        {"model": "per_unit", "unit_price": "0.0025"},
        Usage(D(1)),
        "KWD",
        RoundingMode.HALF_UP,
        [("usage", "1", "0.0025", "0.003")],
    ),
    # KWD: 0.0025 → HALF_EVEN 0.002
    (
        "kwd-half-even",
        {"model": "per_unit", "unit_price": "0.0025"},
        Usage(D(1)),
        "KWD",
        HALF_EVEN,
        [("usage", "1", "0.0025", "0.002")],
    ),
    # KWD graduated 650: 100×1 + 400×0.8 + 150×0.5 = 495.000
    (
        "kwd-graduated",
        {"model": "graduated", "tiers": TIERS},
        Usage(D(650)),
        "KWD",
        RoundingMode.HALF_UP,
        [
            ("usage", "100", "1.00", "100.000"),
            ("usage", "400", "0.80", "320.000"),
            ("usage", "150", "0.50", "75.000"),
        ],
    ),
    # minimum spend 50.00: 1200 × 0.01 = 12.00, top-up 50.00 − 12.00 = 38.00
    (
        "minimum-spend-top-up",
        {"model": "per_unit", "unit_price": "0.01", "minimum_spend": "50.00"},
        Usage(D(1200)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "1200", "0.01", "12.00"), ("minimum_spend", "1", "38.00", "38.00")],
    ),
    # minimum spend reached: 6000 × 0.01 = 60.00 ≥ 50.00, no top-up
    (
        "minimum-spend-reached",
        {"model": "per_unit", "unit_price": "0.01", "minimum_spend": "50.00"},
        Usage(D(6000)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "6000", "0.01", "60.00")],
    ),
    # group price for region=us: 1000 × 0.02 = 20.00 (the default 0.01 would give 10.00)
    (
        "group-price",
        {
            "model": "per_unit",
            "unit_price": "0.01",
            "group_prices": [{"group": {"region": "us"}, "unit_price": "0.02"}],
        },
        Usage(D(1000), group=(("region", "us"),)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "1000", "0.02", "20.00")],
    ),
    # no group price for region=eu: the default 1000 × 0.01 = 10.00
    (
        "group-default",
        {
            "model": "per_unit",
            "unit_price": "0.01",
            "group_prices": [{"group": {"region": "us"}, "unit_price": "0.02"}],
        },
        Usage(D(1000), group=(("region", "eu"),)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "1000", "0.01", "10.00")],
    ),
    # graduated group price: region=us tiers [100: 2.00, rest: 1.00]; 150 → 200.00 + 50.00
    (
        "group-graduated",
        {
            "model": "graduated",
            "tiers": TIERS,
            "group_prices": [
                {
                    "group": {"region": "us"},
                    "tiers": [
                        {"up_to": "100", "unit_price": "2.00"},
                        {"up_to": None, "unit_price": "1.00"},
                    ],
                }
            ],
        },
        Usage(D(150), group=(("region", "us"),)),
        "EUR",
        RoundingMode.HALF_UP,
        [("usage", "100", "2.00", "200.00"), ("usage", "50", "1.00", "50.00")],
    ),
]


@pytest.mark.parametrize(
    ("fields", "usage", "code", "mode", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_worked_case(
    fields: dict[str, Any],
    usage: Usage,
    code: str,
    mode: RoundingMode,
    expected: list[tuple[str, str, str, str]],
) -> None:
    charge = ChargeSpec.from_json({"metric": "api_calls", **fields})
    assert rows(rate_charge(charge, usage, code, mode)) == expected


def test_graduated_sums_to_the_domain_example() -> None:
    lines = rate_charge(spec("graduated", tiers=TIERS), Usage(D(650)), "EUR")
    # 100×1.00 + 400×0.80 + 150×0.50 = 495.00
    assert sum(line.net for line in lines) == D("495.00")
    explanation = lines[0].explanation
    assert [(t.number, t.quantity, t.amount) for t in explanation.tiers] == [
        (1, D(100), D("100.00")),
        (2, D(400), D("320.00")),
        (3, D(150), D("75.00")),
    ]
    assert explanation.text()[1] == "650 units, 0 free, 0 prepaid → 650 billed"
    assert explanation.text()[3] == "tier 2 (100, 500]: 400 × 0.80 = 320.00"


def test_headline_invoice_with_the_fixed_line() -> None:
    charge = spec("percentage", metric="turnover", rate="2", fixed_fee="0.25")
    lines = rate_charge(charge, Usage(D("50000.00"), event_count=1200), "EUR")
    assert nets(lines) == ["1000.00", "300.00"]
    assert lines[0].description == "turnover — 2 % of 50000.00"
    assert lines[1].description == "turnover — 0.25 per transaction"
    taxed = [TaxedLine(D("399.00"), D(20))] + [TaxedLine(line.net, D(20)) for line in lines]
    totals = invoice_totals(taxed, "EUR")
    # 399.00 + 1,000.00 + 300.00 = 1,699.00; VAT 20 % = 339.80; total 2,038.80
    assert (totals.net, totals.vat, totals.gross) == (D("1699.00"), D("339.80"), D("2038.80"))


# 1.5 % + 0.10 per transaction, each fee within [0.50, 5.00]; transactions 10, 20, 100, 500:
#   10.00 → 0.15 + 0.10 = 0.25 → raised to 0.50
#   20.00 → 0.30 + 0.10 = 0.40 → raised to 0.50
#  100.00 → 1.50 + 0.10 = 1.60
#  500.00 → 7.50 + 0.10 = 7.60 → lowered to 5.00;  total 0.50 + 0.50 + 1.60 + 5.00 = 7.60
BOUNDED = {
    "metric": "turnover",
    "model": "percentage",
    "rate": "1.5",
    "fixed_fee": "0.10",
    "min_fee": "0.50",
    "max_fee": "5.00",
}
AMOUNTS = [D("10.00"), D("20.00"), D("100.00"), D("500.00")]


def test_per_transaction_thresholds() -> None:
    thresholds = fee_thresholds(ChargeSpec.from_json(BOUNDED).prices)
    assert thresholds is not None
    # below: (0.50 − 0.10) ÷ 0.015 = 26.666… → in millionths ceil(26,666,666.67) = 26,666,667
    # above: (5.00 − 0.10) ÷ 0.015 = 326.666… → floor(326,666,666.67) = 326,666,666
    assert (thresholds.below_micros, thresholds.above_micros) == (26_666_667, 326_666_666)


def test_per_transaction_min_and_max() -> None:
    charge = ChargeSpec.from_json(BOUNDED)
    bands = bands_of(AMOUNTS, charge.prices)
    assert bands == TransactionBands(2, 1, D("100.00"), 1)
    lines = rate_charge(charge, Usage(D("630.00"), event_count=4, bands=bands), "EUR")
    # 1.5 % × 100.00 = 1.50; 1 × 0.10; 2 × 0.50 = 1.00; 1 × 5.00  → 7.60
    assert rows(lines) == [
        ("percentage", "100.00", "0.015", "1.50"),
        ("transaction_fee", "1", "0.10", "0.10"),
        ("minimum_fee", "2", "0.50", "1.00"),
        ("maximum_fee", "1", "5.00", "5.00"),
    ]
    assert sum(line.net for line in lines) == D("7.60")
    assert lines[0].explanation.text()[1] == (
        "4 transactions: 2 at the minimum fee, 1 totalling 100.00 at the rate, 1 at the maximum fee"
    )


def test_bounded_fees_need_the_bands() -> None:
    charge = ChargeSpec.from_json(BOUNDED)
    with pytest.raises(ChargeError, match="split by bound"):
        rate_charge(charge, Usage(D("630.00"), event_count=4), "EUR")


def test_bounded_fees_of_a_period_without_transactions_are_zero() -> None:
    # No event in the period: no row was measured, so no bands; nothing to split either.
    lines = rate_charge(ChargeSpec.from_json(BOUNDED), Usage(D(0), event_count=0), "EUR")
    # 1.5 % × 0.00 = 0.00 and 0 × 0.10 = 0.00: the period still gets its lines, at 0.00
    assert rows(lines) == [
        ("percentage", "0", "0.015", "0.00"),
        ("transaction_fee", "0", "0.10", "0.00"),
    ]


def test_fixed_fee_raised_to_the_minimum_without_a_rate() -> None:
    charge = spec("percentage", metric="payments", fixed_fee="0.10", min_fee="0.30")
    lines = rate_charge(charge, Usage(D(0), event_count=10), "EUR")
    # each fee 0.10 is raised to 0.30: 10 × 0.30 = 3.00
    assert rows(lines) == [("minimum_fee", "10", "0.30", "3.00")]


def test_free_units_split_across_groups_in_group_order() -> None:
    charge = spec(
        "per_unit",
        unit_price="0.01",
        free_units="1500",
        group_prices=[{"group": {"region": "us"}, "unit_price": "0.02"}],
    )
    usages = [Usage(D(1000), group=(("region", "us"),)), Usage(D(1000), group=(("region", "eu"),))]
    lines = rate_groups(charge, usages, "EUR")
    # eu first: 1000 free → 0.00; us: 500 free left → 500 × 0.02 = 10.00
    assert [(ln.description, str(ln.net)) for ln in lines] == [
        ("api_calls [region=eu]", "0.00"),
        ("api_calls [region=us]", "10.00"),
    ]
    assert [ln.explanation.free_units_used for ln in lines] == [D(1000), D(500)]


def test_minimum_spend_counts_once_across_groups() -> None:
    charge = spec(
        "per_unit",
        unit_price="0.01",
        minimum_spend="50",
        group_prices=[{"group": {"region": "us"}, "unit_price": "0.02"}],
    )
    usages = [Usage(D(1000), group=(("region", "eu"),)), Usage(D(1000), group=(("region", "us"),))]
    lines = rate_groups(charge, usages, "EUR")
    # eu 10.00 + us 20.00 = 30.00 < 50.00 → one top-up of 20.00
    assert nets(lines) == ["10.00", "20.00", "20.00"]
    assert lines[-1].kind is LineKind.MINIMUM_SPEND
    assert lines[-1].description == "api_calls — minimum spend top-up (minimum 50.00)"


def test_prepaid_units_used_are_reported() -> None:
    charge = spec("per_unit", unit_price="0.10", prepaid_units="2000")
    (line,) = rate_charge(charge, Usage(D(1500), prepaid_used_before=D(1200)), "EUR")
    # 2000 − 1200 = 800 left, all used this period
    assert line.explanation.prepaid_units_used == D(800)
    assert line.explanation.to_json()["prepaid_units_used"] == "800"


class FakeSmartCodes:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def price(
        self, smartcode_id: str, *, spec: ChargeSpec, usage: Usage, currency: str
    ) -> list[SmartCodeLine]:
        self.calls.append(smartcode_id)
        return [SmartCodeLine("Calls (macro)", usage.quantity, D("0.0125"))]


def test_smartcode_returns_the_lines() -> None:
    charge = spec("per_unit", unit_price="0.01", smartcode_id="sc_1", minimum_spend="20")
    runner = FakeSmartCodes()
    lines = rate_charge(charge, Usage(D(1000)), "EUR", smartcodes=runner)
    # 1000 × 0.0125 = 12.50, topped up to 20.00 by 7.50
    assert rows(lines) == [
        ("smartcode", "1000", "0.0125", "12.50"),
        ("minimum_spend", "1", "7.50", "7.50"),
    ]
    assert runner.calls == ["sc_1"]
    with pytest.raises(ChargeError, match="SmartCode sc_1"):
        rate_charge(charge, Usage(D(1000)), "EUR")


class ByCountry:
    """A pricing macro's stand-in: one line per country at its rate."""

    RATES = {"FR": D("0.02"), "US": D("0.09")}

    def __init__(self) -> None:
        self.seen: list[Usage] = []

    def price(
        self, smartcode_id: str, *, spec: ChargeSpec, usage: Usage, currency: str
    ) -> list[SmartCodeLine]:
        self.seen.append(usage)
        return [
            SmartCodeLine(f"Calls to {country}", quantity, self.RATES[country])
            for country, quantity in usage.groups
        ]


def test_a_smartcode_sees_the_periods_groups_at_once() -> None:
    charge = spec("per_unit", unit_price="0.01", smartcode_id="sc_1")
    runner = ByCountry()
    usages = [
        Usage(D(300), event_count=3, group=(("country", "US"),)),
        Usage(D(1000), event_count=10, group=(("country", "FR"),)),
    ]
    lines = rate_groups(charge, usages, "EUR", smartcodes=runner)
    # one call: 1,300 in 13 events, FR 1,000 and US 300 (groups in value order)
    [usage] = runner.seen
    assert (usage.quantity, usage.event_count) == (D(1300), 13)
    assert usage.groups == (("FR", D(1000)), ("US", D(300)))
    # FR 1,000 × 0.02 = 20.00; US 300 × 0.09 = 27.00
    assert nets(lines) == ["20.00", "27.00"]
