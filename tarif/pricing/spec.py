"""What a charge is: the model that prices a metric's period quantity, and its parameters.

Pure values (frozen dataclasses), no database. A `ChargeSpec` names its metric by code, its model
and the model's prices (`ChargePrices`), optional per-group prices, free and prepaid units, a
free amount (percentage model), a minimum spend per period and an optional pricing SmartCode.
`ChargeSpec.from_json` / `to_json` are the codec stored on pricelist entries and contract lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tarif.errors import FieldError

ZERO = Decimal(0)


class ChargeModel(StrEnum):
    PER_UNIT = "per_unit"  # units × unit price
    GRADUATED = "graduated"  # each unit priced by the tier it falls in
    VOLUME = "volume"  # the tier containing the total prices all units
    PACKAGE = "package"  # ceil(units ÷ package size) × package price
    PERCENTAGE = "percentage"  # rate × transaction amounts + fixed fee × transactions


@dataclass(frozen=True)
class Tier:
    """Units up to `up_to` (inclusive; None = the open last tier) at `unit_price` each.

    `flat_fee` is added once when the tier is reached (at least part of a unit falls in it).
    """

    up_to: Decimal | None
    unit_price: Decimal
    flat_fee: Decimal = ZERO


@dataclass(frozen=True)
class ChargePrices:
    """The parameters of a model; only those of the charge's model are set.

    `rate` is a percentage (2 = 2 %); `fixed_fee` is per transaction; `min_fee` / `max_fee`
    bound each transaction's fee (rate × amount + fixed fee) before the fees are summed.
    """

    unit_price: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    package_size: Decimal | None = None
    package_price: Decimal | None = None
    rate: Decimal | None = None
    fixed_fee: Decimal | None = None
    min_fee: Decimal | None = None
    max_fee: Decimal | None = None

    @property
    def has_fee_bounds(self) -> bool:
        return self.min_fee is not None or self.max_fee is not None


@dataclass(frozen=True)
class GroupPrice:
    """Prices for usage whose group values include every pair of `group` (e.g. region=us)."""

    group: tuple[tuple[str, str], ...]
    prices: ChargePrices

    def matches(self, values: Mapping[str, str]) -> bool:
        return all(values.get(key) == value for key, value in self.group)


@dataclass(frozen=True)
class ChargeSpec:
    """How a usage line is priced.

    - `free_units`: units free each period (for the percentage model: transactions whose fixed
      fee is waived);
    - `prepaid_units`: a block of units paid in advance, drawn down period after period;
    - `free_amount`: percentage model only, the part of the period's transaction amounts the
      rate does not apply to;
    - `minimum_spend`: the period is topped up to it with a separate line;
    - `smartcode_id`: when set, that pricing SmartCode returns the lines instead of the model.
    """

    metric: str
    model: ChargeModel
    prices: ChargePrices = ChargePrices()
    group_prices: tuple[GroupPrice, ...] = ()
    free_units: Decimal = ZERO
    prepaid_units: Decimal = ZERO
    free_amount: Decimal = ZERO
    minimum_spend: Decimal | None = None
    smartcode_id: str | None = None
    description: str = ""

    def prices_for(self, group: Mapping[str, str]) -> tuple[ChargePrices, GroupPrice | None]:
        """The first group price matching `group`, else the default prices."""
        for candidate in self.group_prices:
            if candidate.matches(group):
                return candidate.prices, candidate
        return self.prices, None

    @classmethod
    def from_json(cls, data: Any) -> ChargeSpec:
        """A valid spec from its JSON object, or `InvalidCharge` listing every problem."""
        from tarif.pricing.codec import decode_charge

        return decode_charge(data)

    def to_json(self) -> dict[str, Any]:
        from tarif.pricing.codec import encode_charge

        return encode_charge(self)


@dataclass
class InvalidCharge(ValueError):
    """A charge that cannot be used; `problems` name fields (`tiers.1.up_to`)."""

    problems: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.message}" for p in self.problems)

    def prefixed(self, prefix: str) -> list[FieldError]:
        """The problems under another path, e.g. `charge.tiers.1.up_to`."""
        return [FieldError(f"{prefix}.{p.field}", p.message) for p in self.problems]
