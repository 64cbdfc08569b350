"""Coupons: invoice discounts redeemed by code on contracts (see README.md)."""
