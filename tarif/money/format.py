"""Formatting money for people, per locale, with Babel: `1 234,50 €` (fr), `€1,234.50` (en)."""

from __future__ import annotations

import copy

from babel import Locale

from tarif.money.amount import Money
from tarif.money.rounding import RoundingMode, round_to_minor_unit

_BABEL_LOCALES = {"fr": "fr_FR", "en": "en_US"}


def format_money(
    money: Money, locale: str = "fr", mode: RoundingMode = RoundingMode.HALF_UP
) -> str:
    """Shows exactly the currency's ISO minor unit of decimals (JPY 0, EUR 2, KWD 3)."""
    babel_locale = Locale.parse(_BABEL_LOCALES.get(locale, locale))
    rounded = round_to_minor_unit(money.amount, money.currency, mode)
    pattern = copy.copy(babel_locale.currency_formats["standard"])
    minor = money.currency.minor_unit
    pattern.frac_prec = (minor, minor)
    text = pattern.apply(rounded, babel_locale, currency=money.currency.code, currency_digits=False)
    # Babel puts narrow no-break spaces in French; a no-break space reads the same everywhere.
    return text.replace("\u202f", "\u00a0")
