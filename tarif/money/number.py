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
    exponent = result.as_tuple().exponent
    assert isinstance(exponent, int)  # finite numbers have an int exponent
    if -exponent > max_decimals and result != result.quantize(Decimal(1).scaleb(-max_decimals)):
        raise ValueError(f"at most {max_decimals} decimals are allowed: {value!r}")
    return result
