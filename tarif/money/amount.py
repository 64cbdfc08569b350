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

    def __post_init__(self) -> None:
        # Built directly (not through `of`), a float or a bare code would slip in unnoticed.
        if not isinstance(self.amount, Decimal):
            raise MoneyError(
                f"money needs a Decimal amount, not {type(self.amount).__name__}; use Money.of"
            )
        if not self.amount.is_finite():
            raise MoneyError(f"money needs a finite amount, not {self.amount}")
        if not isinstance(self.currency, Currency):
            raise MoneyError(f"money needs a Currency, not {self.currency!r}; use Money.of")

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

    def __radd__(self, other: object) -> Money:
        # Only so that `sum(amounts)` works: its start value is the int 0.
        if type(other) is int and other == 0:
            return self
        return self._check(other) + self

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._check(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        # A float factor is already inexact; a bool is an int by accident.
        if not isinstance(factor, Decimal | int) or isinstance(factor, bool):
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

    def to_json(self, mode: RoundingMode = RoundingMode.HALF_UP) -> str:
        """Amounts travel as JSON strings with the currency's minor unit: "12.50", "1000"."""
        return str(round_to_minor_unit(self.amount, self.currency, mode))

    def __str__(self) -> str:
        return f"{self.to_json()} {self.currency.code}"
