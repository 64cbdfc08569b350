"""The usage charge models in one import: specs, validation, codec and rating.

`from tarif.pricing.charges import ChargeSpec, Usage, rate_charge` is all a caller needs; the
pieces live in small modules (`spec`, `validation`, `codec`, `percentage`, `rating`, `summary`).
"""

from tarif.pricing.codec import decode_charge, encode_charge
from tarif.pricing.percentage import (
    FeeThresholds,
    TransactionBands,
    bands_of,
    fee_thresholds,
    transaction_fee,
)
from tarif.pricing.rating import (
    ChargeError,
    Explanation,
    LineKind,
    PricingSmartCodes,
    RatedLine,
    SmartCodeLine,
    TierUse,
    Usage,
    graduated_uses,
    rate_charge,
    rate_groups,
    volume_uses,
)
from tarif.pricing.spec import (
    ChargeModel,
    ChargePrices,
    ChargeSpec,
    GroupPrice,
    InvalidCharge,
    Tier,
)
from tarif.pricing.summary import charge_summary
from tarif.pricing.validation import charge_problems

__all__ = [
    "ChargeError",
    "ChargeModel",
    "ChargePrices",
    "ChargeSpec",
    "Explanation",
    "FeeThresholds",
    "GroupPrice",
    "InvalidCharge",
    "LineKind",
    "PricingSmartCodes",
    "RatedLine",
    "SmartCodeLine",
    "Tier",
    "TierUse",
    "TransactionBands",
    "Usage",
    "bands_of",
    "charge_problems",
    "charge_summary",
    "decode_charge",
    "encode_charge",
    "fee_thresholds",
    "graduated_uses",
    "rate_charge",
    "rate_groups",
    "transaction_fee",
    "volume_uses",
]
