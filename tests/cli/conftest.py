"""Runs the `tarif` command in-process against the test database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from tarif.cli.main import app


@dataclass
class Run:
    result: Result

    @property
    def code(self) -> int:
        return self.result.exit_code

    @property
    def out(self) -> str:
        return self.result.stdout

    @property
    def err(self) -> str:
        return self.result.stderr

    @property
    def last_line(self) -> str:
        return self.out.rstrip("\n").splitlines()[-1]


Tarif = Callable[..., Run]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    # Without it the settings would write var/secret_key into the working folder.
    monkeypatch.setenv("TARIF_SECRET_KEY", "cli-test-secret")
    monkeypatch.delenv("TARIF_ORG", raising=False)
    monkeypatch.delenv("TARIF_PASSWORD", raising=False)


@pytest.fixture
def tarif(cli_env: None, engine: Engine) -> Tarif:
    """`tarif("orgs", "list", "--json")` runs the command on the test database (whose tables
    the `engine` fixture created)."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Run:
        return Run(runner.invoke(app, list(args), input=input, catch_exceptions=False))

    return run
