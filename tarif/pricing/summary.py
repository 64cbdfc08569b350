"""A readable French summary of a charge, for the back office: "2 % + 0,25 € par transaction"."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal, get_currency_symbol

from tarif.pricing.spec import ChargeModel, ChargePrices, ChargeSpec


def _number(value: Decimal) -> str:
    text: str = format_decimal(value, format="#,##0.######", locale="fr_FR")
    return text.replace("\u202f", "\u00a0")


def _price(value: Decimal, currency: str) -> str:
    # Prices keep their decimals (0.0025), with at least two: 0,25 €, 1,00 €.
    shown = value if value.as_tuple().exponent <= -2 else value.quantize(Decimal("0.01"))  # type: ignore[operator]
    text: str = format_decimal(shown, format="#,##0.00####", locale="fr_FR")
    return f"{text.replace(chr(0x202F), chr(0xA0))}\u00a0{get_currency_symbol(currency, 'fr_FR')}"


def prices_summary(model: ChargeModel, prices: ChargePrices, currency: str) -> str:
    if model is ChargeModel.PER_UNIT:
        return f"{_price(prices.unit_price or Decimal(0), currency)} par unité"
    if model is ChargeModel.PACKAGE:
        return (
            f"{_price(prices.package_price or Decimal(0), currency)} par paquet de "
            f"{_number(prices.package_size or Decimal(1))} unités"
        )
    if model in (ChargeModel.GRADUATED, ChargeModel.VOLUME):
        parts = []
        for tier in prices.tiers:
            bound = "au-delà" if tier.up_to is None else f"jusqu'à {_number(tier.up_to)}"
            fee = f" + {_price(tier.flat_fee, currency)} fixe" if tier.flat_fee else ""
            parts.append(f"{bound} : {_price(tier.unit_price, currency)}{fee}")
        name = "Paliers progressifs" if model is ChargeModel.GRADUATED else "Paliers sur volume"
        return f"{name} : " + ", ".join(parts)
    parts = []
    if prices.rate is not None:
        parts.append(f"{_number(prices.rate)}\u00a0%")
    if prices.fixed_fee is not None:
        parts.append(f"{_price(prices.fixed_fee, currency)} par transaction")
    text = " + ".join(parts)
    if prices.min_fee is not None:
        text += f", minimum {_price(prices.min_fee, currency)} par transaction"
    if prices.max_fee is not None:
        text += f", maximum {_price(prices.max_fee, currency)} par transaction"
    return text


def charge_summary(spec: ChargeSpec, currency: str) -> str:
    """E.g. `turnover : 2 % + 0,25 € par transaction`; `api_calls : Paliers progressifs : …`."""
    text = f"{spec.metric} : {prices_summary(spec.model, spec.prices, currency)}"
    extras = []
    if spec.free_units:
        unit = "transactions" if spec.model is ChargeModel.PERCENTAGE else "unités"
        extras.append(f"{_number(spec.free_units)} {unit} offertes par période")
    if spec.free_amount:
        extras.append(f"{_price(spec.free_amount, currency)} de montant offert par période")
    if spec.prepaid_units:
        extras.append(f"{_number(spec.prepaid_units)} unités prépayées")
    if spec.minimum_spend is not None:
        extras.append(f"minimum {_price(spec.minimum_spend, currency)} par période")
    for group in spec.group_prices:
        values = ", ".join(f"{k}={v}" for k, v in group.group)
        extras.append(f"{values} : {prices_summary(spec.model, group.prices, currency)}")
    if spec.smartcode_id:
        extras.append(f"tarifé par le SmartCode {spec.smartcode_id}")
    return text + "".join(f" ; {extra}" for extra in extras)
