"""Contracts: terms and lines, lifecycle, terms and notice, amendments and versions, templates.

The pure core lives here so far (no database, no HTTP, no clock); read `README.md` beside this
file for what each module owns and the rules it keeps.
"""
