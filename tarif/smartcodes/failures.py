"""What can go wrong with a SmartCode, as values: refused sources and failed runs.

Every error carries a message for people and, when it is known, the line and column of the
macro's source it points at (1-based), so pages and API answers can show it by line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceProblem:
    """One reason a source is refused: a syntax error or a construct the sandbox forbids."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class SmartCodeError(Exception):
    """Base of every SmartCode failure."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line}: {self.message}"


class SourceRefused(SmartCodeError):
    """The source does not compile or uses something the sandbox forbids (found before any run)."""

    def __init__(self, problems: list[SourceProblem]) -> None:
        first = problems[0]
        super().__init__(first.message, first.line, first.column)
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


class MacroFailed(SmartCodeError):
    """The macro raised, or touched something refused at run time. `index`: the event at fault
    in a batch (None for a pricing run)."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        index: int | None = None,
    ) -> None:
        super().__init__(message, line)
        self.index = index

    def __str__(self) -> str:
        where = [] if self.index is None else [f"event {self.index}"]
        if self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ResultRefused(MacroFailed):
    """The macro returned something that is not a valid result; `field` names the bad part
    (`value`, `lines[1].unit_price`)."""

    def __init__(self, field: str, message: str, index: int | None = None) -> None:
        super().__init__(f"{field}: {message}", None, index)
        self.field = field


class LimitExceeded(MacroFailed):
    """A time, CPU, memory or size limit stopped the run."""
