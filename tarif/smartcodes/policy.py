"""Compiling a SmartCode: Python syntax, then RestrictedPython's policy, then ours.

Everything that can be refused before a run is refused here, each problem with its line and
column: syntax errors, names starting with `_`, imports outside the allow-list, names that open
the way out (`eval`, `getattr`, `type`, `open`…), classes, `global`, bare `except:`. The
multiplications, powers and shifts are rewritten into guarded calls (`_mul_`, `_pow_`,
`_lshift_`) so a run can refuse `'x' * 10**10` before Python allocates it.
"""

from __future__ import annotations

import ast
from enum import StrEnum
from types import CodeType
from typing import Any

from RestrictedPython.transformer import RestrictingNodeTransformer

from tarif.smartcodes.failures import SourceProblem, SourceRefused

FILENAME = "<smartcode>"
MAX_SOURCE = 100_000


class Kind(StrEnum):
    VALUATION = "valuation"
    PRICING = "pricing"


# What each kind must define: the function's name and its number of parameters.
ENTRY_POINTS = {Kind.VALUATION: ("value", 1), Kind.PRICING: ("price", 2)}

# Modules a macro may import, and the names of each it may use.
ALLOWED_MODULES: dict[str, frozenset[str]] = {
    "decimal": frozenset(
        {
            "Decimal",
            "ROUND_CEILING",
            "ROUND_DOWN",
            "ROUND_FLOOR",
            "ROUND_HALF_DOWN",
            "ROUND_HALF_EVEN",
            "ROUND_HALF_UP",
            "ROUND_UP",
            "ROUND_05UP",
            "InvalidOperation",
            "DivisionByZero",
        }
    ),
    "math": frozenset(
        {
            "ceil",
            "floor",
            "trunc",
            "fabs",
            "gcd",
            "lcm",
            "isqrt",
            "copysign",
            "isfinite",
            "isinf",
            "isnan",
            "sqrt",
            "exp",
            "log",
            "log10",
            "log2",
            "pi",
            "e",
            "inf",
            "prod",
            "fsum",
            "factorial",
            "comb",
            "perm",
        }
    ),
    "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone"}),
    "statistics": frozenset({"mean", "median", "median_low", "median_high", "mode", "fmean"}),
}

# Built-in names that would open a way out of the sandbox (or into the clock, or floats).
FORBIDDEN_NAMES = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "input",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "globals",
        "locals",
        "vars",
        "dir",
        "type",
        "object",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "memoryview",
        "bytearray",
        "bytes",
        "id",
        "help",
        "exit",
        "quit",
        "print",
        "breakpoint",
        "BaseException",
        "SystemExit",
        "KeyboardInterrupt",
        "GeneratorExit",
        "float",
        "complex",
        "format",
        "iter",
        "aiter",
        "anext",
        "issubclass",
    }
)


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy with positions kept, our refusals added, and size guards."""

    def __init__(self) -> None:
        super().__init__(errors=[], warnings=[], used_names={})
        self.problems: list[SourceProblem] = []

    def error(self, node: ast.AST, info: str) -> None:
        line = getattr(node, "lineno", None) or 1
        column = (getattr(node, "col_offset", None) or 0) + 1
        self.problems.append(SourceProblem(line, column, info))

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f"'{node.id}' is not available in a SmartCode")
        return super().visit_Name(node)

    def visit_Import(self, node: ast.Import) -> Any:
        for alias in node.names:
            self._check_module(node, alias.name)
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        module = node.module or ""
        if node.level:
            self.error(node, "relative imports are not allowed")
        elif self._check_module(node, module):
            for alias in node.names:
                if alias.name not in ALLOWED_MODULES[module]:
                    self.error(node, f"'{module}.{alias.name}' is not available in a SmartCode")
        return super().visit_ImportFrom(node)

    def _check_module(self, node: ast.AST, module: str) -> bool:
        if module not in ALLOWED_MODULES:
            allowed = ", ".join(sorted(ALLOWED_MODULES))
            self.error(node, f"import of '{module}' is not allowed (allowed: {allowed})")
            return False
        return True

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self.error(node, "classes are not allowed in a SmartCode")
        return node

    def visit_Global(self, node: ast.Global) -> Any:
        self.error(node, "'global' is not allowed: a macro keeps no state between calls")
        return node

    def visit_Nonlocal(self, node: ast.Nonlocal) -> Any:
        self.error(node, "'nonlocal' is not allowed: a macro keeps no state between calls")
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        if node.type is None:
            self.error(node, "a bare 'except:' is not allowed: name the exception")
        return super().visit_ExceptHandler(node)

    def visit_With(self, node: ast.With) -> Any:
        self.error(node, "'with' is not allowed in a SmartCode")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)


_GUARDED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
}


def _entry_point_problems(tree: ast.Module, kind: Kind) -> list[SourceProblem]:
    name, arity = ENTRY_POINTS[kind]
    wanted = "def value(event)" if kind is Kind.VALUATION else "def price(usage, contract)"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            args = node.args
            positional = len(args.posonlyargs) + len(args.args)
            if positional != arity or args.vararg or args.kwarg or args.kwonlyargs:
                return [
                    SourceProblem(
                        node.lineno,
                        node.col_offset + 1,
                        f"'{name}' must take {arity} parameter(s): {wanted}",
                    )
                ]
            return []
    return [SourceProblem(1, 1, f"a {kind.value} SmartCode must define {wanted}")]


def compile_macro(source: str, kind: Kind) -> CodeType:
    """The macro's code object, or `SourceRefused` listing every problem with line and column."""
    if len(source) > MAX_SOURCE:
        raise SourceRefused([SourceProblem(1, 1, f"at most {MAX_SOURCE} characters")])
    if "\x00" in source:
        raise SourceRefused([SourceProblem(1, 1, "the source may not contain NUL characters")])
    try:
        tree = ast.parse(source, FILENAME, "exec")
    except SyntaxError as exc:
        line = exc.lineno or 1
        column = exc.offset or 1
        raise SourceRefused([SourceProblem(line, column, f"syntax error: {exc.msg}")]) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        reason = str(exc) or "the source is nested too deeply"
        raise SourceRefused([SourceProblem(1, 1, f"cannot parse: {reason}")]) from None
    policy = _Policy()
    try:
        policy.visit(tree)
    except RecursionError:
        raise SourceRefused([SourceProblem(1, 1, "the source is nested too deeply")]) from None
    problems = policy.problems + _entry_point_problems(tree, kind)
    if problems:
        problems.sort(key=lambda p: (p.line, p.column))
        raise SourceRefused(problems)
    ast.fix_missing_locations(tree)
    try:
        return compile(tree, FILENAME, "exec", dont_inherit=True)
    except SyntaxError as exc:  # found by the compiler only (e.g. `return` outside a function)
        problem = SourceProblem(exc.lineno or 1, exc.offset or 1, f"syntax error: {exc.msg}")
        raise SourceRefused([problem]) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SourceRefused([SourceProblem(1, 1, f"cannot compile: {exc}")]) from None


def check_source(source: str, kind: Kind) -> list[SourceProblem]:
    """Every problem of a source (empty: it compiles)."""
    try:
        compile_macro(source, kind)
    except SourceRefused as exc:
        return exc.problems
    return []
