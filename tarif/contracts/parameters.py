"""Typed template parameters (`seats`, `start_date`, `hosting_plan`…), their values, substitution.

Pure. Values arrive typed or as text (forms, CSV, JSON): `coerce` turns each into its type or
says what was expected; `resolve_parameters` applies defaults and reports every missing, unknown
or mistyped parameter at `parameters.<name>`; `Substitution` puts the values in place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from tarif.catalog.periodicity import Periodicity, PeriodicityError, parse_periodicity
from tarif.errors import FieldError
from tarif.money import parse_decimal

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")


class ParameterType(StrEnum):
    INT = "int"
    DECIMAL = "decimal"
    DATE = "date"
    STRING = "string"
    CHOICE = "choice"


ParameterValue = int | Decimal | date | str


@dataclass(frozen=True)
class TemplateParameter:
    """A named input of a template; a parameter without a default must be given."""

    name: str
    type: ParameterType
    default: ParameterValue | None = None
    choices: tuple[str, ...] = ()  # the allowed values of a choice
    label: str = ""


@dataclass(frozen=True)
class Param:
    """Where a template puts a parameter's value instead of a literal one."""

    name: str


class ParameterTypeError(ValueError):
    """A value that does not fit its parameter's type; the message says what was expected."""


def coerce(parameter: TemplateParameter, value: object) -> ParameterValue:
    """The value in the parameter's type, or `ParameterTypeError`."""
    kind = parameter.type
    if kind is ParameterType.INT:
        return _integer(value)
    if kind is ParameterType.DECIMAL:
        return _decimal(value)
    if kind is ParameterType.DATE:
        return _date(value)
    if not isinstance(value, str):
        raise ParameterTypeError(f"expected text, got {value!r}")
    if kind is ParameterType.CHOICE and value not in parameter.choices:
        raise ParameterTypeError(f"must be one of: {', '.join(parameter.choices)}; got {value!r}")
    return value


def _integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        return int(value.strip())
    raise ParameterTypeError(f"expected a whole number, got {value!r}")


def _decimal(value: object) -> Decimal:
    if isinstance(value, Decimal | int | str) and not isinstance(value, bool):
        try:
            return parse_decimal(value)
        except (TypeError, ValueError):
            pass
    raise ParameterTypeError(f"expected a decimal number with at most 6 decimals, got {value!r}")


def _date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ParameterTypeError(f"expected a date (YYYY-MM-DD), got {value!r}")


def parameter_problems(parameters: Sequence[TemplateParameter]) -> list[FieldError]:
    """What is wrong with the declared parameters themselves (names, choices, defaults)."""
    problems, seen = [], set()
    for index, parameter in enumerate(parameters):
        path = f"parameters.{index}"
        if not NAME_PATTERN.fullmatch(parameter.name):
            problems.append(
                FieldError(f"{path}.name", "use lowercase letters, digits and '_' (e.g. seats)")
            )
        if parameter.name in seen:
            problems.append(FieldError(f"{path}.name", f"'{parameter.name}' is declared twice"))
        seen.add(parameter.name)
        if parameter.type is ParameterType.CHOICE:
            if not parameter.choices or len(set(parameter.choices)) != len(parameter.choices):
                problems.append(FieldError(f"{path}.choices", "list distinct allowed values"))
        elif parameter.choices:
            problems.append(FieldError(f"{path}.choices", "only a choice has allowed values"))
        if parameter.default is not None:
            try:
                coerce(parameter, parameter.default)
            except ParameterTypeError as exc:
                problems.append(FieldError(f"{path}.default", str(exc)))
    return problems


def resolve_parameters(
    parameters: Sequence[TemplateParameter], values: Mapping[str, object]
) -> tuple[dict[str, ParameterValue], list[FieldError]]:
    """Every parameter's value (given, else its default) and every problem, by parameter name."""
    declared = {p.name: p for p in parameters}
    problems = [
        FieldError(
            f"parameters.{name}",
            f"unknown parameter; the template takes: {', '.join(declared) or 'none'}",
        )
        for name in values
        if name not in declared
    ]
    resolved: dict[str, ParameterValue] = {}
    for name, parameter in declared.items():
        given = values.get(name)
        if given is None and parameter.default is None:
            problems.append(FieldError(f"parameters.{name}", f"is required ({parameter.type})"))
            continue
        try:
            resolved[name] = coerce(parameter, parameter.default if given is None else given)
        except ParameterTypeError as exc:
            problems.append(FieldError(f"parameters.{name}", str(exc)))
    return resolved, problems


class Substitution:
    """Puts parameter values in place of `Param`s, remembering which parameter fed which field.

    A problem on a field a parameter fed is reported at that parameter
    (`parameters.seats: for lines.1.quantity: must be greater than 0`).
    """

    def __init__(self, values: dict[str, ParameterValue]) -> None:
        self.values = values
        self.fed_by: dict[str, str] = {}
        self.problems: list[FieldError] = []
        self.reported: set[str] = set()  # fields whose problem is already told

    def problem(self, path: str, message: str) -> None:
        self.problems.append(self.error(path, message))
        self.reported.add(path)

    def take(self, value: object, path: str) -> object:
        if isinstance(value, Param):
            self.fed_by[path] = value.name
            return self.values[value.name]
        return value

    # Parameter types fit their places: the template was checked before (`validate_template`).

    def day(self, value: date | Param, path: str) -> date:
        taken = self.take(value, path)
        assert isinstance(taken, date)
        return taken

    def optional_day(self, value: date | Param | None, path: str) -> date | None:
        return None if value is None else self.day(value, path)

    def integer(self, value: int | Param | None, path: str) -> int | None:
        taken = self.take(value, path)
        assert taken is None or isinstance(taken, int)
        return taken

    def number(self, value: Decimal | Param, path: str) -> Decimal:
        taken = self.take(value, path)
        assert isinstance(taken, Decimal | int)
        return Decimal(taken)

    def text(self, value: str | Param, path: str) -> str:
        return str(self.take(value, path))

    def periodicity(self, value: Periodicity | Param, path: str) -> Periodicity:
        taken = self.take(value, path)
        if isinstance(taken, Periodicity):
            return taken
        try:
            return parse_periodicity(str(taken))
        except PeriodicityError as exc:
            self.problem(path, str(exc))
            return Periodicity.one_off()

    def error(self, path: str, message: str) -> FieldError:
        name = self.fed_by.get(path)
        if name is None:
            return FieldError(path, message)
        return FieldError(f"parameters.{name}", f"for {path}: {message}")

    def attribute(self, problems: list[FieldError]) -> list[FieldError]:
        """`problems` of the built terms, moved to the parameter that fed each field."""
        return [self.error(p.field, p.message) for p in problems if p.field not in self.reported]
