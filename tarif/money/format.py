"""Formatting money for people, per locale, with Babel: `1 234,50 €` (fr), `€1,234.50` (en)."""

from __future__ import annotations

import copy
from decimal import localcontext

from babel import Locale
from babel.numbers import get_currency_symbol

from tarif.money.amount import Money
from tarif.money.rounding import RoundingMode, round_to_minor_unit

_BABEL_LOCALES = {"fr": "fr_FR", "en": "en_US"}
NBSP = "\u00a0"


def format_money(
    money: Money, locale: str = "fr", mode: RoundingMode = RoundingMode.HALF_UP
) -> str:
    """Shows exactly the currency's ISO minor unit of decimals (JPY 0, EUR 2, KWD 3).

    Spaces are no-break spaces (U+00A0), so an amount never wraps across two lines.
    """
    babel_locale = Locale.parse(_BABEL_LOCALES.get(locale, locale))
    rounded = round_to_minor_unit(money.amount, money.currency, mode)
    pattern = copy.copy(babel_locale.currency_formats["standard"])
    minor = money.currency.minor_unit
    pattern.frac_prec = (minor, minor)
    with localcontext() as context:
        # Babel quantizes again; give it the digits a large amount needs, as rounding did.
        context.prec = max(context.prec, rounded.adjusted() + minor + 2)
        text: str = pattern.apply(
            rounded, babel_locale, currency=money.currency.code, currency_digits=False
        )
    # Babel puts narrow no-break spaces in French; a no-break space reads the same everywhere.
    text = text.replace("\u202f", NBSP)
    return _space_letters_from_digits(text, get_currency_symbol(money.currency.code, babel_locale))


def _space_letters_from_digits(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out: `KWD1,234.500` -> `KWD 1,234.500`.

    A symbol made of letters (an ISO code such as KWD) that touches a digit gets a no-break
    space; a sign such as € or $ stays attached.
    """
    at = text.find(symbol)
    if at < 0 or not symbol:
        return text
    end = at + len(symbol)
    if symbol[-1].isalpha() and end < len(text) and text[end].isdigit():
        return text[:end] + NBSP + text[end:]
    if symbol[0].isalpha() and at > 0 and text[at - 1].isdigit():
        return text[:at] + NBSP + text[at:]
    return text
