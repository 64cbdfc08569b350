"""`tarif`: the command line entry point; each capability adds its own command group."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from rich.text import Text

# Typer 0.29 (pinned) runs its own copy of click: its exceptions are these, not `click`'s.
from typer._click import exceptions as click_errors
from typer.core import TyperGroup

from tarif.cli import core_commands
from tarif.cli.common import err_console
from tarif.cli.registry import register_capabilities


class OneLineUsageErrors(TyperGroup):
    """A usage error (an unknown option, a value not among an option's choices) is one line on
    stderr like every other error (`tarif.cli.common.fail`), exit code 2, not a usage box:
    scripts read one line. `tarif` alone still prints the help."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            typer.rich_utils.rich_format_error(exc)
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            where = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
            message = " ".join(exc.format_message().split()) + where
            err_console.print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True)
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            typer.rich_utils.rich_format_error(exc)
            sys.exit(exc.exit_code)
        except typer.Abort:
            err_console.print("Aborted!")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="tarif",
    cls=OneLineUsageErrors,
    help="Tarif: billing for subscriptions and pay-as-you-go usage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

core_commands.register(app)
register_capabilities(app)


def main() -> None:
    app()
