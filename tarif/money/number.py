"""Building Decimals safely: one constructor that refuses floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_DECIMALS = 6  # unit prices and quantities carry at most 6 decimals (domain rules)


def D(value: Decimal | int | str) -> Decimal:
    """A Decimal from an int, a string or a Decimal; a float is refused (it is already inexact)."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"refusing {type(value).__name__} {value!r}: pass a string or a Decimal")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal number: {value!r}") from exc
    else:
        raise TypeError(f"cannot make a decimal from {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite decimal number: {value!r}")
    return result


def parse_decimal(value: Decimal | int | str, max_decimals: int = MAX_DECIMALS) -> Decimal:
    """Like D() but also refuses more decimals than allowed, instead of rounding silently."""
    result = D(value)
    if decimals_of(result) > max_decimals:
        raise ValueError(f"at most {max_decimals} decimals are allowed: {value!r}")
    return result


def decimals_of(value: Decimal) -> int:
    """How many decimals `value` really needs: 1.2500 needs 2, 1E+3 needs 0.

    Counted on the digits themselves, because quantize() or normalize() would depend on the
    decimal context's precision and could round or fail on long numbers.
    """
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # D() only returns finite numbers
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if trailing_zeros == len(digits):  # zero itself
        return 0
    return max(0, -(exponent + trailing_zeros))
