"""An immutable (amount, currency) pair whose arithmetic refuses mixed currencies."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tarif.money.currency import Currency, currency
from tarif.money.number import D
from tarif.money.rounding import RoundingMode, round_to_minor_unit


class MoneyError(ValueError):
    pass


@dataclass(frozen=True, order=False)
class Money:
    """An exact amount in one currency. Full precision is kept until `rounded()` is asked for."""

    amount: Decimal
    currency: Currency

    @classmethod
    def of(cls, amount: Decimal | int | str, code: str) -> Money:
        return cls(D(amount), currency(code))

    @classmethod
    def zero(cls, code: str) -> Money:
        return cls(Decimal(0), currency(code))

    def _check(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency.code} with {other.currency.code}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._check(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._check(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, Money | float | bool):
            raise MoneyError(f"money can only be multiplied by a Decimal or an int, not {factor!r}")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._check(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._check(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._check(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._check(other).amount

    def rounded(self, mode: RoundingMode = RoundingMode.HALF_UP) -> Money:
        return Money(round_to_minor_unit(self.amount, self.currency, mode), self.currency)

    def to_json(self) -> str:
        """Amounts travel as JSON strings with the currency's minor unit: "12.50", "1000"."""
        return str(round_to_minor_unit(self.amount, self.currency))

    def __str__(self) -> str:
        return f"{self.to_json()} {self.currency.code}"
