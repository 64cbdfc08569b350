"""`tarif`: the command line entry point; each capability adds its own command group."""

from __future__ import annotations

import typer

from tarif.cli import core_commands
from tarif.cli.registry import register_capabilities

app = typer.Typer(
    name="tarif",
    help="Tarif: billing for subscriptions and pay-as-you-go usage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

core_commands.register(app)
register_capabilities(app)


def main() -> None:
    app()
