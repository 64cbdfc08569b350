"""Usage charges: how a metric's period quantity is priced (per unit, tiers, package, percentage).

Pure code; read `README.md` beside this file. Import from `tarif.pricing.charges`.
"""
