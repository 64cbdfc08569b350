"""The run-time side of the sandbox: the only builtins, modules and attribute access a macro gets.

RestrictedPython rewrites `a.b` into `_getattr_(a, "b")`, `a[b]` into `_getitem_(a, b)` and so on;
`policy.py` adds `_mul_`, `_pow_` and `_lshift_`. This module gives those hooks their meaning:

- attributes are read only on an allow-list of plain types (numbers, text, dates, containers, the
  macro's input values, the allowed modules); a generator, a function, an exception or a frame
  has no readable attribute, so `gi_frame`, `f_globals` and `tb_frame` lead nowhere;
- the clock is out of reach: `now`, `today`, `utcnow` are refused;
- `str.format` and `format_map` are refused (they read attributes themselves);
- sizes are checked before Python allocates: repeats, powers, shifts, `range`, string padding;
- modules are read-only proxies exposing only the names `policy.ALLOWED_MODULES` lists.

Refusals raise `Refused`, a `BaseException`, so a macro's `except Exception` cannot swallow them.
"""

from __future__ import annotations

import decimal
import math
import statistics
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from datetime import date, datetime, time, timedelta, timezone
from types import BuiltinFunctionType, CodeType, FunctionType, MappingProxyType, ModuleType
from typing import Any, NoReturn

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from tarif.smartcodes.policy import ALLOWED_MODULES, ENTRY_POINTS, Kind
from tarif.smartcodes.values import (
    MacroContract,
    MacroEvent,
    MacroPeriod,
    MacroUsage,
    WireEvent,
    freeze,
)

MAX_ITEMS = 10_000_000  # items in a sequence built by repeat or range
MAX_TEXT = 10_000_000  # characters or bytes in a string built by repeat or padding
MAX_INT_BITS = 100_000  # about 30,000 decimal digits
MAX_FACTORIAL = 5_000


class Refused(BaseException):
    """A construct the sandbox stops at run time (not catchable by the macro)."""


def _refuse(message: str) -> NoReturn:
    raise Refused(message)


class ModuleProxy:
    """A read-only view of an allowed module: only the listed names, nothing else."""

    __slots__ = ("_names", "_title")

    def __init__(self, title: str, names: dict[str, Any]) -> None:
        object.__setattr__(self, "_title", title)
        object.__setattr__(self, "_names", names)

    def __setattr__(self, name: str, value: Any) -> None:
        _refuse(f"module '{self._title}' is read-only")

    def lookup(self, name: str) -> Any:
        try:
            return self._names[name]
        except KeyError:
            _refuse(f"'{self._title}.{name}' is not available in a SmartCode")

    def __getattr__(self, name: str) -> Any:
        # Reached by `from decimal import Decimal` only: every other access goes through
        # `_getattr_`, and names starting with "_" are refused at compile time.
        return self.lookup(name)

    def __repr__(self) -> str:
        return f"<module {self._title}>"


# --- numbers that cannot explode --------------------------------------------------------------


def _limited_int(value: int, what: str) -> int:
    if value.bit_length() > MAX_INT_BITS:
        _refuse(f"{what}: integer too large (more than {MAX_INT_BITS} bits)")
    return value


def _factorial(n: int) -> int:
    if type(n) is int and n > MAX_FACTORIAL:
        _refuse(f"math.factorial: at most {MAX_FACTORIAL}")
    return math.factorial(n)


def _comb(n: int, k: int) -> int:
    if type(n) is int and n > MAX_FACTORIAL:
        _refuse(f"math.comb: n at most {MAX_FACTORIAL}")
    return math.comb(n, k)


def _perm(n: int, k: int | None = None) -> int:
    if type(n) is int and n > MAX_FACTORIAL:
        _refuse(f"math.perm: n at most {MAX_FACTORIAL}")
    return math.perm(n, k)


def _prod(values: Iterable[Any], *, start: Any = 1) -> Any:
    result = start
    for item in values:
        result = guarded_mul(result, item)
    return result


def _lcm(*values: int) -> int:
    return _limited_int(math.lcm(*values), "math.lcm")


def guarded_mul(left: Any, right: Any) -> Any:
    """`left * right`, refusing a repeat or a product too large before it is built."""
    lt, rt = type(left), type(right)
    if lt is int and rt is int:
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            _refuse(f"integer too large (more than {MAX_INT_BITS} bits)")
        return left * right
    if lt in _SEQUENCES and rt is int:
        _check_repeat(left, right)
    elif rt in _SEQUENCES and lt is int:
        _check_repeat(right, left)
    return left * right


_SEQUENCES = (str, bytes, list, tuple)


def _check_repeat(sequence: Any, times: int) -> None:
    size = len(sequence) * times
    limit = MAX_TEXT if type(sequence) in (str, bytes) else MAX_ITEMS
    if size > limit:
        _refuse(f"repeat too large: {size} items (at most {limit})")


def guarded_pow(base: Any, exponent: Any, modulo: Any = None) -> Any:
    """`base ** exponent`, refusing an integer result too large before it is computed."""
    if modulo is not None:
        return pow(base, exponent, modulo)
    integers = type(base) is int and type(exponent) is int
    if integers and abs(base) > 1 and (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
        _refuse(f"power too large (more than {MAX_INT_BITS} bits)")
    if type(base) is decimal.Decimal or type(exponent) is decimal.Decimal:
        return base**exponent  # bounded by the decimal context's precision and exponent limits
    return base**exponent


def guarded_lshift(value: Any, shift: Any) -> Any:
    if type(shift) is int and shift > MAX_INT_BITS:
        _refuse(f"shift too large (more than {MAX_INT_BITS} bits)")
    return value << shift


def guarded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_ITEMS:
        _refuse(f"range too long: {len(numbers)} items (at most {MAX_ITEMS})")
    return numbers


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": lambda a, b: a + b,
    "-=": lambda a, b: a - b,
    "*=": guarded_mul,
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "%=": lambda a, b: a % b,
    "**=": guarded_pow,
    "<<=": guarded_lshift,
    ">>=": lambda a, b: a >> b,
    "&=": lambda a, b: a & b,
    "|=": lambda a, b: a | b,
    "^=": lambda a, b: a ^ b,
}


def inplacevar(op: str, left: Any, right: Any) -> Any:
    try:
        return _INPLACE[op](left, right)
    except KeyError:
        _refuse(f"operator {op} is not allowed")


# --- attribute access ------------------------------------------------------------------------

# Instances whose public attributes a macro may read.
_READABLE_TYPES = frozenset(
    {
        int,
        bool,
        float,
        str,
        decimal.Decimal,
        date,
        datetime,
        time,
        timedelta,
        timezone,
        dict,
        list,
        tuple,
        set,
        frozenset,
        MappingProxyType,
        type({}.keys()),
        type({}.values()),
        type({}.items()),
        MacroEvent,
        WireEvent,
        MacroUsage,
        MacroPeriod,
        MacroContract,
    }
)
# Classes whose public attributes (constructors such as `date.fromisoformat`) a macro may read.
_READABLE_CLASSES = frozenset({decimal.Decimal, date, datetime, time, timedelta, timezone})
_CLOCK = frozenset({"now", "today", "utcnow", "fromtimestamp", "utcfromtimestamp"})
_FORMATTERS = frozenset({"format", "format_map"})
_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


# (type, attribute) pairs already checked and found plain: the hot path of every macro.
_CHECKED: dict[tuple[type, str], bool] = {}


def guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    kind = type(obj)
    if kind is ModuleProxy:
        return obj.lookup(name)
    if _CHECKED.get((kind, name)):
        return getattr(obj, name)
    if type(name) is not str or name.startswith("_"):
        _refuse(f"attribute {name!r} is not available in a SmartCode")
    readable_class = isinstance(obj, type) and obj in _READABLE_CLASSES
    if kind not in _READABLE_TYPES and not readable_class:
        owner = obj.__name__ if isinstance(obj, type) else kind.__name__
        _refuse(f"attribute '{name}' of {owner} is not available in a SmartCode")
    if name in _CLOCK:
        _refuse(f"'{name}' is not available: a SmartCode has no clock (use event.timestamp)")
    if name in _FORMATTERS:
        _refuse(f"'{name}' is not available in a SmartCode (use f-strings)")
    value = getattr(obj, name)
    if name in _PADDING and kind in (str, bytes):
        return _padding(value, name)
    if name in _LOCAL_TIME and kind is datetime:
        return _no_local_time(obj, value, name)
    if not readable_class:  # a class's type is `type`: the pair would name every class
        _CHECKED[(kind, name)] = True
    return value


# Without an explicit zone, these read the machine's local time zone: not deterministic.
_LOCAL_TIME = frozenset({"astimezone", "timestamp"})


def _no_local_time(moment: datetime, method: Callable[..., Any], name: str) -> Callable[..., Any]:
    def in_a_given_zone(*args: Any, **kwargs: Any) -> Any:
        if name == "astimezone" and not args and not kwargs.get("tz"):
            _refuse("astimezone() needs a time zone: the machine's own is not available")
        if name == "timestamp" and moment.tzinfo is None:
            _refuse("timestamp() of a naive datetime would use the machine's time zone")
        return method(*args, **kwargs)

    return in_a_given_zone


def _padding(method: Callable[..., Any], name: str) -> Callable[..., Any]:
    def padded(width: Any = 8, *args: Any) -> Any:
        if type(width) is int and width > MAX_TEXT:
            _refuse(f"{name}: width too large (at most {MAX_TEXT})")
        return method(width, *args)

    return padded


def guarded_getitem(obj: Any, index: Any) -> Any:
    if type(obj) is ModuleProxy:
        _refuse("modules cannot be indexed")
    return obj[index]


_WRITABLE = frozenset({dict, list, set})


def guarded_write(obj: Any) -> Any:
    """Only containers the macro built itself may be changed (its input is read-only)."""
    if type(obj) not in _WRITABLE:
        _refuse(f"a {type(obj).__name__} cannot be changed in a SmartCode")
    return obj


def guarded_iter(obj: Any) -> Iterator[Any]:
    return iter(obj)


def apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


# --- the macro's world -----------------------------------------------------------------------


def _module(name: str, source: Any, replacements: dict[str, Any]) -> ModuleProxy:
    names = {n: replacements.get(n, getattr(source, n)) for n in ALLOWED_MODULES[name]}
    return ModuleProxy(name, names)


MODULES: dict[str, ModuleProxy] = {
    "decimal": _module("decimal", decimal, {}),
    "math": _module(
        "math",
        math,
        {"factorial": _factorial, "comb": _comb, "perm": _perm, "prod": _prod, "lcm": _lcm},
    ),
    "datetime": _module("datetime", __import__("datetime"), {}),
    "statistics": _module("statistics", statistics, {}),
}


def guarded_import(
    name: str,
    globals: Any = None,
    locals: Any = None,
    fromlist: Any = (),
    level: int = 0,
) -> ModuleProxy:
    if level or name not in MODULES:
        _refuse(f"import of '{name}' is not allowed")
    return MODULES[name]


_EXCEPTIONS = (
    ArithmeticError,
    AssertionError,
    Exception,
    IndexError,
    KeyError,
    LookupError,
    NotImplementedError,
    OverflowError,
    RecursionError,
    StopIteration,
    TypeError,
    ValueError,
    ZeroDivisionError,
    decimal.InvalidOperation,
)

BUILTINS: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    "__import__": guarded_import,
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "chr": chr,
    "dict": dict,
    "divmod": divmod,
    "enumerate": enumerate,
    "filter": filter,
    "frozenset": frozenset,
    "hex": hex,
    "int": int,
    "isinstance": isinstance,
    "len": len,
    "list": list,
    "map": map,
    "max": max,
    "min": min,
    "oct": oct,
    "ord": ord,
    "pow": guarded_pow,
    "range": guarded_range,
    "repr": repr,
    "reversed": reversed,
    "round": round,
    "set": set,
    "slice": slice,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
    **{exc.__name__: exc for exc in _EXCEPTIONS},
}

_HOOKS: dict[str, Any] = {
    "_getattr_": guarded_getattr,
    "_getitem_": guarded_getitem,
    "_getiter_": guarded_iter,
    "_write_": guarded_write,
    "_apply_": apply,
    "_inplacevar_": inplacevar,
    "_mul_": guarded_mul,
    "_pow_": guarded_pow,
    "_lshift_": guarded_lshift,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
}


_PLAIN = frozenset(
    {type(None), bool, int, float, str, bytes, decimal.Decimal, date, datetime, time, timedelta}
    | {timezone, range, ModuleProxy}
)
_IMMUTABLE_OWNERS = (str, bytes, int, decimal.Decimal, tuple, frozenset, ModuleType)


def _settled(item: Any, where: str, seen: set[int]) -> Any:
    """`item` made read-only for good: containers frozen, functions' defaults and closure cells
    frozen too; anything that could hold state between calls (a generator, an iterator, a
    method bound to a list) is refused."""
    kind = type(item)
    if kind in _PLAIN or isinstance(item, type):
        return item
    if kind in (dict, list, tuple, set, frozenset, MappingProxyType):
        for part in item.values() if isinstance(item, dict | MappingProxyType) else item:
            _settled(part, where, seen)
        return freeze(item)
    if kind is FunctionType:
        if id(item) not in seen:
            seen.add(id(item))
            if item.__defaults__:
                item.__defaults__ = tuple(_settled(d, where, seen) for d in item.__defaults__)
            if item.__kwdefaults__:
                defaults = item.__kwdefaults__.items()
                item.__kwdefaults__ = {k: _settled(v, where, seen) for k, v in defaults}
            for cell in item.__closure__ or ():
                with suppress(ValueError):  # an empty cell: nothing kept in it
                    cell.cell_contents = _settled(cell.cell_contents, where, seen)
        return item
    if kind is BuiltinFunctionType and isinstance(item.__self__, _IMMUTABLE_OWNERS):
        return item  # `math.ceil`, `len`, `"-".join`: no state of their own
    _refuse(
        f"'{where}' keeps a {kind.__name__} between calls: module-level values must be plain "
        "(numbers, text, dates, tables, functions)"
    )


def load_macro(code: CodeType, kind: Kind) -> Callable[..., Any]:
    """Runs the module's top level once and returns its entry point (`value` or `price`).

    Module-level values, default arguments and closures are then frozen (and anything that could
    keep state refused), so a macro cannot carry state from one call to the next: the result of
    an event never depends on the events before it.
    """
    namespace: dict[str, Any] = {"__builtins__": dict(BUILTINS), **_HOOKS}
    namespace["__name__"] = "smartcode"
    exec(code, namespace)
    seen: set[int] = set()
    for key, item in list(namespace.items()):
        if not key.startswith("_"):
            namespace[key] = _settled(item, key, seen)
    entry = namespace.get(ENTRY_POINTS[kind][0])
    if not isinstance(entry, FunctionType):
        _refuse(f"the SmartCode must define {ENTRY_POINTS[kind][0]}()")
    return entry
