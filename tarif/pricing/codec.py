"""JSON codec of charges: decimals as strings, only the fields that are set, round-trip exact.

```json
{"metric": "turnover", "model": "percentage", "rate": "2", "fixed_fee": "0.25"}
{"metric": "api_calls", "model": "graduated",
 "tiers": [{"up_to": "100", "unit_price": "1.00"}, {"up_to": "500", "unit_price": "0.80"},
           {"up_to": null, "unit_price": "0.50"}],
 "free_units": "1000", "minimum_spend": "50.00",
 "group_prices": [{"group": {"region": "us"}, "tiers": [...]}]}
```

Decoding reports every problem at once (unknown fields, wrong types, then the validation of
`tarif.pricing.validation`) as `InvalidCharge`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tarif.errors import FieldError
from tarif.money.number import D
from tarif.pricing.spec import (
    ZERO,
    ChargeModel,
    ChargePrices,
    ChargeSpec,
    GroupPrice,
    InvalidCharge,
    Tier,
)

PRICE_FIELDS = (
    "unit_price",
    "package_size",
    "package_price",
    "rate",
    "fixed_fee",
    "min_fee",
    "max_fee",
)
SPEC_DECIMALS = ("free_units", "prepaid_units", "free_amount")
SPEC_FIELDS = frozenset(
    {
        "metric",
        "model",
        "tiers",
        "group_prices",
        "minimum_spend",
        "smartcode_id",
        "description",
        *PRICE_FIELDS,
        *SPEC_DECIMALS,
    }
)
GROUP_FIELDS = frozenset({"group", "tiers", *PRICE_FIELDS})
TIER_FIELDS = frozenset({"up_to", "unit_price", "flat_fee"})


def number(value: Decimal) -> str:
    return f"{value:f}"


def encode_prices(prices: ChargePrices) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in PRICE_FIELDS:
        value = getattr(prices, name)
        if value is not None:
            data[name] = number(value)
    if prices.tiers:
        data["tiers"] = [_encode_tier(tier) for tier in prices.tiers]
    return data


def _encode_tier(tier: Tier) -> dict[str, Any]:
    data: dict[str, Any] = {
        "up_to": None if tier.up_to is None else number(tier.up_to),
        "unit_price": number(tier.unit_price),
    }
    if tier.flat_fee:
        data["flat_fee"] = number(tier.flat_fee)
    return data


def encode_charge(spec: ChargeSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"metric": spec.metric, "model": spec.model.value}
    data.update(encode_prices(spec.prices))
    for name in SPEC_DECIMALS:
        value = getattr(spec, name)
        if value:
            data[name] = number(value)
    if spec.minimum_spend is not None:
        data["minimum_spend"] = number(spec.minimum_spend)
    if spec.group_prices:
        data["group_prices"] = [
            {"group": dict(g.group), **encode_prices(g.prices)} for g in spec.group_prices
        ]
    if spec.smartcode_id is not None:
        data["smartcode_id"] = spec.smartcode_id
    if spec.description:
        data["description"] = spec.description
    return data


class _Reader:
    """Collects problems while reading, so one refusal names every bad field."""

    def __init__(self) -> None:
        self.problems: list[FieldError] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(FieldError(path, message))

    def unknown(self, data: dict[str, Any], allowed: frozenset[str], prefix: str) -> None:
        for name in sorted(set(data) - allowed):
            self.fail(f"{prefix}{name}", "unknown field")

    def decimal(self, value: Any, path: str) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool | float) or not isinstance(value, str | int):
            self.fail(path, 'must be a decimal number written as a string, e.g. "0.25"')
            return None
        try:
            return D(value)
        except ValueError:
            self.fail(path, f"not a decimal number: {value!r}")
            return None

    def text(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(path, "must be a string")
            return None
        return value

    def tiers(self, value: Any, path: str) -> tuple[Tier, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path, "must be a list of tiers")
            return ()
        tiers: list[Tier] = []
        for index, item in enumerate(value):
            at = f"{path}.{index}"
            if not isinstance(item, dict):
                self.fail(at, "must be an object with up_to and unit_price")
                continue
            self.unknown(item, TIER_FIELDS, f"{at}.")
            if "up_to" not in item:
                self.fail(f"{at}.up_to", "required (null for the open last tier)")
            if "unit_price" not in item:
                self.fail(f"{at}.unit_price", "required")
            up_to = self.decimal(item.get("up_to"), f"{at}.up_to")
            price = self.decimal(item.get("unit_price"), f"{at}.unit_price")
            fee = self.decimal(item.get("flat_fee"), f"{at}.flat_fee")
            tiers.append(Tier(up_to, price if price is not None else ZERO, fee or ZERO))
        return tuple(tiers)

    def prices(self, data: dict[str, Any], prefix: str) -> ChargePrices:
        values = {name: self.decimal(data.get(name), f"{prefix}{name}") for name in PRICE_FIELDS}
        return ChargePrices(tiers=self.tiers(data.get("tiers"), f"{prefix}tiers"), **values)

    def groups(self, value: Any) -> tuple[GroupPrice, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("group_prices", "must be a list")
            return ()
        groups: list[GroupPrice] = []
        for index, item in enumerate(value):
            at = f"group_prices.{index}"
            if not isinstance(item, dict):
                self.fail(at, "must be an object with group and prices")
                continue
            self.unknown(item, GROUP_FIELDS, f"{at}.")
            group = item.get("group")
            if not isinstance(group, dict) or not group:
                self.fail(f"{at}.group", 'required: group values such as {"region": "us"}')
                group = {}
            elif not all(isinstance(k, str) and isinstance(v, str) for k, v in group.items()):
                self.fail(f"{at}.group", "group names and values must be strings")
                group = {}
            pairs = tuple(sorted(group.items()))
            groups.append(GroupPrice(pairs, self.prices(item, f"{at}.")))
        return tuple(groups)


def decode_charge(data: Any) -> ChargeSpec:
    """The spec of a JSON object, validated; `InvalidCharge` names every problem."""
    from tarif.pricing.validation import charge_problems

    if not isinstance(data, dict):
        raise InvalidCharge([FieldError("charge", "must be a JSON object")])
    reader = _Reader()
    reader.unknown(data, SPEC_FIELDS, "")
    metric = reader.text(data.get("metric"), "metric")
    if not metric:
        reader.fail("metric", "required: the code of the metric this charge prices")
    model_text = data.get("model")
    model: ChargeModel | None = None
    try:
        model = ChargeModel(str(model_text))
    except ValueError:
        choices = ", ".join(m.value for m in ChargeModel)
        reader.fail("model", f"must be one of {choices}")
    decimals = {name: reader.decimal(data.get(name), name) for name in SPEC_DECIMALS}
    minimum = reader.decimal(data.get("minimum_spend"), "minimum_spend")
    smartcode = reader.text(data.get("smartcode_id"), "smartcode_id")
    description = reader.text(data.get("description"), "description") or ""
    prices = reader.prices(data, "")
    groups = reader.groups(data.get("group_prices"))
    if reader.problems or model is None or not metric:
        raise InvalidCharge(reader.problems)
    spec = ChargeSpec(
        metric=metric,
        model=model,
        prices=prices,
        group_prices=groups,
        free_units=decimals["free_units"] or ZERO,
        prepaid_units=decimals["prepaid_units"] or ZERO,
        free_amount=decimals["free_amount"] or ZERO,
        minimum_spend=minimum,
        smartcode_id=smartcode or None,
        description=description,
    )
    problems = charge_problems(spec)
    if problems:
        raise InvalidCharge(problems)
    return spec
