"""`tarif … --org A` given tenant B's ids: every command that takes an object says "not found".

The commands are read from the Typer tree, so a command added later is tried too; an argument
the suite cannot classify fails the test instead of being skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperArgument
from typer.testing import CliRunner

from tarif.cli.main import app as cli_app
from tests.isolation.conftest import World
from tests.isolation.openapi import NOT_REFERENCES

# Parameters that name no object (though their name could say so), and what they are.
NOT_OBJECTS = {
    ("contracts", "add-line", "key"): "the new line's key, not an API key",
    ("db", "upgrade", "revision"): "a schema revision",
    ("orgs", "create", "name"): "the new organization's name",
    ("keys", "create", "name"): "the new key's name",
    ("coupons", "create", "code"): "the new coupon's code",
    ("metrics", "create", "code"): "the new metric's code",
    ("alerts", "create", "metric"): "a metric code the contract's usage lines measure (else 422)",
    ("customers", "import", "file"): "a CSV file",
    ("events", "send", "transaction_id"): "the new event's own id",
    ("events", "import", "file"): "a CSV, JSON Lines or Parquet file of events",
    ("products", "import", "file"): "a CSV file",
    ("pricelists", "import-entries", "file"): "a CSV file",
    ("smartcodes", "push", "file"): "the macro's Python file",
    ("smartcodes", "check", "file"): "the macro's Python file",
    ("webhooks", "endpoints", "create", "url"): "the new endpoint's URL",
}
# Options filtering a list by any object's id: A's list shows nothing of B's, whatever the id.
FILTERS = {"object_id"}
# Options that are a pagination cursor: an id to sort after, not an object to read.
CURSORS = {"starting_after"}
# Values for the required options and arguments that are not references.
VALUES = {
    "legal_name": "Mallory SAS",
    "country": "FR",
    "name": "Mallory",
    "price": "1.00",
    "reference": "mallory-1",
    "amount": "1.00",
    "reason": "Takeover",
    "currency": "EUR",
    "transaction_id": "mallory-tx1",
    "period_from": "2026-01-01",
    "period_to": "2026-02-01",
    "limit": "1000",
    "metric": "mallory-calls",
    "on": "2026-03-01",
}
# Options a command needs to do something with the object it finds (without them it could stop
# at a missing option before looking the object up).
EXTRA_OPTIONS = {
    "customers update": ["--legal-name", "Takeover SAS"],
    "products update": ["--name-en", "Takeover"],
    "pricelists update": ["--name", "Takeover"],
    "contracts create": ["--reference", "mallory-c1", "--start", "2026-02-01"],
    "amendments create": [
        *("--effective", "2026-03-01", "--reason", "Takeover"),
        *("--set-quantity", "hosting=3"),
    ],
    "templates instantiate": ["--param", "start_date=2026-02-01"],
    "customers contacts update": ["--name", "Takeover"],
    "contracts update": ["--reference", "mallory-c2"],
    "contracts update-line": ["--quantity", "3"],
    "coupons update": ["--name", "Takeover"],
}
# The file a command's required `file` parameter reads (default: a CSV of prices).
FILES = {"templates update": "template.json"}
KNOWN_COMMANDS = {
    "customers show",
    "customers update",
    "customers archive",
    "customers delete",
    "customers contacts add",
    "customers contacts list",
    "products show",
    "products update",
    "products archive",
    "products delete",
    "pricelists show",
    "pricelists update",
    "pricelists delete",
    "pricelists add-entry",
    "pricelists remove-entry",
    "pricelists import-entries",
    "keys revoke",
    "invoices pdf",
}
NOT_FOUND = re.compile(r"not found|no \w+ '[^']*' in this organization")


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]
    params: tuple[Any, ...]  # click parameters, in declaration order

    def __str__(self) -> str:
        return " ".join(self.words)


def commands() -> Iterator[Command]:
    def walk(node: Any, words: tuple[str, ...]) -> Iterator[Command]:
        subcommands = getattr(node, "commands", None)
        if subcommands is None:
            yield Command(words, tuple(node.params))
            return
        for name, sub in subcommands.items():
            yield from walk(sub, (*words, name))

    yield from walk(typer.main.get_command(cli_app), ())


def reference(name: str, ids: dict[str, str]) -> str | None:
    """The path-parameter name of the object a CLI parameter names (`customer` → customer_id)."""
    for key in (name, f"{name}_id"):
        if key in ids and key not in NOT_REFERENCES:
            return key
    return None


@pytest.fixture
def tarif(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Any:
    monkeypatch.setenv("TARIF_DATABASE_URL", database_url)
    monkeypatch.setenv("TARIF_SECRET_KEY", "cli-test-secret")
    monkeypatch.delenv("TARIF_ORG", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli_app, list(args), input="n\n", catch_exceptions=False)


@pytest.fixture
def files(tmp_path: Path, world: World) -> dict[str, Path]:
    """Valid input files of A, so a command fails on B's id rather than on its file."""
    code = world.a.created["/v1/products"]["code"]
    contents = {
        "entries.csv": f"product_code,unit_price\n{code},1.00\n",
        "template.json": '{"name": "Takeover"}',
    }
    for name, text in contents.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return {name: tmp_path / name for name in contents}


def _argv(command: Command, values: dict[str, str], org: str, files: dict[str, Path]) -> list[str]:
    """The command line: `values` for the references, VALUES for other required parameters."""
    positional: list[str] = []
    options: list[str] = []
    for param in command.params:
        name = param.name
        if name in values:
            value = values[name]
        elif name == "file" and param.required:
            value = str(files[FILES.get(str(command), "entries.csv")])
        elif param.required:
            assert name in VALUES, f"tarif {command}: give required '{name}' a value in VALUES"
            value = VALUES[name]
        elif name == "yes":
            options.append(param.opts[0])
            continue
        else:
            continue
        if param.param_type_name == "argument":
            positional.append(value)
        else:
            options += [param.opts[0], value]
    extra = EXTRA_OPTIONS.get(str(command), [])
    return [*command.words, *positional, *options, *extra, "--org", org]


def _classify(command: Command, ids: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The command's references (parameter → id-map name) and what the suite cannot classify."""
    refs: dict[str, str] = {}
    unknown: list[str] = []
    for param in command.params:
        name = param.name
        if name in ("org", *FILTERS, *CURSORS) or (*command.words, name) in NOT_OBJECTS:
            continue
        key = reference(name, ids)
        if key:
            refs[name] = key
        elif param.param_type_name == "argument":
            unknown.append(f"argument '{name}'")
        elif (
            param.param_type_name == "option"
            and name.endswith("_id")
            and name not in NOT_REFERENCES
        ):
            unknown.append(f"option '{name}'")
    return refs, unknown


def _one_line(result: Any) -> str | None:
    lines = result.stderr.strip().splitlines()
    return lines[0] if len(lines) == 1 else None


def test_every_command_taking_an_object_says_not_found_for_another_tenants(
    world: World, tarif: Any, files: dict[str, Path]
) -> None:
    a, b = world.a, world.b
    before = world.snapshot(b), world.snapshot(a)
    failures: list[str] = []
    covered: set[str] = set()
    names_tried: set[str] = set()
    for command in commands():
        refs, unknown = _classify(command, b.ids)
        if unknown:
            failures.append(
                f"tarif {command}: cannot tell what {', '.join(unknown)} names; map it to an "
                "object in tests/isolation/world.py or list it in NOT_OBJECTS with the reason"
            )
            continue
        if not refs:
            continue
        covered.add(str(command))
        for param, key in refs.items():
            if key in b.shared:
                continue  # a line key or a number: the same in both, it names nothing alone
            for theirs in b.names_for(key):
                names_tried.add(theirs)
                values = {p: a.ids[k] for p, k in refs.items()} | {param: theirs}
                argv = _argv(command, values, a.tenant.id, files)
                result = tarif(*argv)
                line = _one_line(result)
                # A list filtered by B's object may also just list nothing (checked below).
                filtered_out = command.words[-1] == "list" and result.exit_code == 0
                if not filtered_out and (
                    result.exit_code == 0 or line is None or not NOT_FOUND.search(line)
                ):
                    failures.append(
                        f"tarif {' '.join(argv)} → exit {result.exit_code}, "
                        f"stderr {result.stderr!r}"
                    )
                elif leaked := b.leaked(result.stdout):
                    failures.append(f"tarif {' '.join(argv)} printed B's {leaked}")
    assert not failures, "\n".join(failures)
    assert covered >= KNOWN_COMMANDS, KNOWN_COMMANDS - covered
    # Objects were also named the way people type them: external id and product code.
    assert {b.created["/v1/customers"]["external_id"], b.created["/v1/products"]["code"]} <= (
        names_tried
    )
    assert (world.snapshot(b), world.snapshot(a)) == before


def test_filters_and_cursors_naming_another_tenants_objects_show_nothing(
    world: World, tarif: Any
) -> None:
    a, b = world.a, world.b
    failures: list[str] = []
    tried: set[str] = set()
    for command in commands():
        # A list of one object's items (an invoice's payments) is A's own object's.
        required = [p for p in command.params if isinstance(p, TyperArgument) and p.required]
        keys = [reference(p.name or "", a.ids) for p in required]
        if not all(keys):
            continue
        own_objects = [a.ids[key] for key in keys if key]
        for param in command.params:
            if param.name not in (*FILTERS, *CURSORS):
                continue
            tried.add(f"{command} {param.opts[0]}")
            ids = sorted(set(b.own_ids.values()))
            # A filter is tried with every id of B; a cursor only orders, one id is enough.
            for value in ids if param.name in FILTERS else ids[:1]:
                argv = [*command.words, *own_objects, param.opts[0], value, "--org", a.tenant.id]
                result = tarif(*argv)
                leaked = b.leaked(result.stdout.replace(value, ""))
                if result.exit_code != 0 or leaked:
                    failures.append(f"tarif {' '.join(argv)}: exit {result.exit_code} {leaked}")
    assert not failures, "\n".join(failures)
    assert {
        "audit list --object",
        "customers list --starting-after",
        "invoices payments --starting-after",
    } <= tried
    # B's own log does list B's customer: the filter finds what is there.
    own = tarif("audit", "list", "--object", b.ids["customer_id"], "--org", b.tenant.id, "--json")
    assert own.exit_code == 0 and b.ids["customer_id"] in own.stdout
