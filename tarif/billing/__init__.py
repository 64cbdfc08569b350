"""The pure core of recurring billing: periods, proration, charges, discounts and totals.

No database, no HTTP, no clock: every function takes the day it bills "as of". Read `README.md`
beside this file and `docs/billing-rules.md` for the rules.
"""
