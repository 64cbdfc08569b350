"""The sandbox against escape attempts: each is refused at compile time (with its line and
column) or stopped at run time with a clear error. Pure: no database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tarif.smartcodes.failures import LimitExceeded, MacroFailed, ResultRefused, SourceRefused
from tarif.smartcodes.policy import Kind, compile_macro
from tarif.smartcodes.runner import Limits, MacroRunner, MacroSource

EVENT = (datetime(2026, 1, 15, 9, 30, tzinfo=UTC), {"duration": 61}, "calls", "C1")


@pytest.fixture(scope="module")
def runner() -> Iterator[MacroRunner]:
    limits = Limits(memory_bytes=512 << 20, cpu_seconds=2, wall_seconds=3.0)
    runner = MacroRunner(limits)
    yield runner
    runner.close()


def macro(body: str, prelude: str = "") -> str:
    """A valuation macro whose `value` runs `body` (indented by this function)."""
    lines = "\n".join("    " + line for line in body.splitlines())
    return f"{prelude}def value(event):\n{lines}\n"


# (name, source, line of the refusal, words of the message)
COMPILE_TIME = [
    ("import os", "import os\n" + macro("return 1"), 1, "import of 'os' is not allowed"),
    ("import sys", macro("import sys\nreturn 1"), 2, "import of 'sys' is not allowed"),
    ("import subprocess", macro("import subprocess\nreturn 1"), 2, "'subprocess'"),
    ("import importlib", macro("import importlib\nreturn 1"), 2, "'importlib'"),
    ("from os import path", "from os import path\n" + macro("return 1"), 1, "'os'"),
    ("import time", "import time\n" + macro("return 1"), 1, "'time'"),
    ("import random", "import random\n" + macro("return 1"), 1, "'random'"),
    (
        "decimal.getcontext",
        "from decimal import getcontext\n" + macro("return 1"),
        1,
        "'decimal.getcontext' is not available",
    ),
    ("__import__", macro("return __import__('os')"), 2, 'starts with "_"'),
    ("__class__.__mro__", macro("return ().__class__.__mro__"), 2, 'starts with "_"'),
    ("__subclasses__", macro("return object.__subclasses__()"), 2, 'starts with "_"'),
    ("__builtins__", macro("return __builtins__"), 2, 'starts with "_"'),
    ("__globals__", macro("return value.__globals__"), 2, 'starts with "_"'),
    ("function __code__", macro("return (lambda: 0).__code__"), 2, 'starts with "_"'),
    ("module __dict__", "import math\n" + macro("return math.__dict__"), 3, 'starts with "_"'),
    (
        "getattr with a string",
        macro("return getattr(event, '__class__')"),
        2,
        "'getattr' is not available",
    ),
    ("setattr", macro("setattr(event, 'metric', 'x')\nreturn 1"), 2, "'setattr' is not available"),
    ("f-string attribute", macro("return f'{event.__class__}'"), 2, 'starts with "_"'),
    ("vars", macro("return vars(event)"), 2, "'vars' is not available"),
    ("dir", macro("return dir(event)"), 2, "'dir' is not available"),
    ("type() construction", macro("return type('X', (), {})"), 2, "'type' is not available"),
    (
        "exception __traceback__",
        macro("try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    return e.__traceback__"),
        5,
        'starts with "_"',
    ),
    ("open", macro("return open('/etc/passwd').read()"), 2, "'open' is not available"),
    ("eval", macro("return eval('1')"), 2, "'eval' is not available"),
    ("exec", macro("exec('x = 1')\nreturn 1"), 2, "'exec' is not available"),
    ("compile", macro("return compile('1', 'f', 'eval')"), 2, "'compile' is not available"),
    ("globals()", macro("return globals()"), 2, "'globals' is not available"),
    ("locals()", macro("return locals()"), 2, "'locals' is not available"),
    ("print", macro("print(event)\nreturn 1"), 2, "'print' is not available"),
    ("class", "class X:\n    pass\n" + macro("return 1"), 1, "classes are not allowed"),
    ("global state", "N = 0\n" + macro("global N\nN += 1\nreturn N"), 3, "'global' is not allowed"),
    ("bare except", macro("try:\n    return 1\nexcept:\n    return 2"), 4, "bare 'except:'"),
    ("generator gi_frame", macro("g = (x for x in [1])\nreturn g.gi_frame"), 3, "restricted name"),
    ("generator gi_code", macro("g = (x for x in [1])\nreturn g.gi_code"), 3, "restricted name"),
    ("traceback tb_frame", macro("return event.tb_frame.f_globals"), 2, "restricted name"),
    ("BaseException", macro("return BaseException"), 2, "'BaseException' is not available"),
]


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [case[1:] for case in COMPILE_TIME],
    ids=[case[0] for case in COMPILE_TIME],
)
def test_refused_at_compile_time(runner: MacroRunner, source: str, line: int, words: str) -> None:
    with pytest.raises(SourceRefused) as refused:
        runner.value_events(MacroSource.of("valuation", source), [EVENT])
    assert refused.value.line == line
    assert refused.value.column is not None and refused.value.column >= 1
    assert any(words in p.message for p in refused.value.problems), refused.value.problems


# (name, source, error class, words of the message)
RUN_TIME = [
    (
        "str.format attribute walk",
        macro("return '{0.__class__}'.format(event)"),
        MacroFailed,
        "'format' is not available",
    ),
    (
        "format_map",
        macro("return '{x}'.format_map({'x': event})"),
        MacroFailed,
        "'format_map' is not available",
    ),
    (
        "generator methods",
        macro("g = (x for x in [1])\nreturn g.send(None)"),
        MacroFailed,
        "attribute 'send' of generator is not available",
    ),
    (
        "exception attributes",
        macro("try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    return e.with_traceback(None)"),
        MacroFailed,
        "of ZeroDivisionError is not available",
    ),
    (
        "function attributes",
        macro("return value.func_globals"),
        MacroFailed,
        "attribute 'func_globals' of function is not available",
    ),
    (
        "module attribute walk",
        "import decimal\n" + macro("return decimal.sys"),
        MacroFailed,
        "'decimal.sys' is not available",
    ),
    (
        "decimal context mutation",
        "import decimal\n" + macro("decimal.getcontext().prec = 2"),
        MacroFailed,
        "'decimal.getcontext' is not available",
    ),
    (
        "datetime.now",
        "from datetime import datetime\n" + macro("return datetime.now()"),
        MacroFailed,
        "'now' is not available",
    ),
    (
        "date.today",
        "import datetime\n" + macro("return datetime.date.today()"),
        MacroFailed,
        "'today' is not available",
    ),
    (
        "fromtimestamp",
        "from datetime import datetime\n" + macro("return datetime.fromtimestamp(0)"),
        MacroFailed,
        "'fromtimestamp' is not available",
    ),
    (
        "local time zone",
        macro("return event.timestamp.astimezone().hour"),
        MacroFailed,
        "astimezone() needs a time zone",
    ),
    (
        "naive timestamp()",
        "from datetime import datetime\n" + macro("return int(datetime(2026, 1, 1).timestamp())"),
        MacroFailed,
        "naive datetime",
    ),
    # the wall-clock or the CPU limit, whichever the machine's load makes come first
    ("infinite loop", macro("while True:\n    pass"), LimitExceeded, "limit exceeded"),
    ("string repeat", macro("return 'x' * 10**10"), MacroFailed, "repeat too large"),
    ("list repeat", macro("return len([0] * 10**9)"), MacroFailed, "repeat too large"),
    (
        "repeat by augmented assignment",
        macro("s = 'x'\ns *= 10**10\nreturn 1"),
        MacroFailed,
        "repeat too large",
    ),
    ("huge power", macro("return 10**10**10"), MacroFailed, "power too large"),
    ("huge shift", macro("return 1 << 10**9"), MacroFailed, "shift too large"),
    ("huge range", macro("return len(list(range(10**9)))"), MacroFailed, "range too long"),
    ("padding", macro("return len(''.ljust(10**10))"), MacroFailed, "width too large"),
    (
        "math.factorial",
        "import math\n" + macro("return math.factorial(10**6)"),
        MacroFailed,
        "math.factorial: at most",
    ),
    (
        "math.comb",
        "import math\n" + macro("return math.comb(10**7, 5000)"),
        MacroFailed,
        "math.comb",
    ),
    (
        "math.prod",
        "import math\n" + macro("return math.prod([10**20000] * 9)"),
        MacroFailed,
        "integer too large",
    ),
    (
        "doubling until memory runs out",
        macro("s = 'ab'\nwhile True:\n    s = s + s"),
        LimitExceeded,
        "limit",
    ),
    (
        "deep recursion",
        "def f(n):\n    return f(n + 1)\n" + macro("return f(0)"),
        LimitExceeded,
        "recursion deeper than",
    ),
    (
        "writing to the event",
        macro("event.properties['duration'] = 0\nreturn 1"),
        MacroFailed,
        "mappingproxy cannot be changed",
    ),
    (
        "mutating the event",
        macro("event.properties.clear()\nreturn 1"),
        MacroFailed,
        "no attribute 'clear'",
    ),
    (
        "state kept in a module table",
        "SEEN = []\n" + macro("SEEN.append(1)\nreturn len(SEEN)"),
        MacroFailed,
        "no attribute 'append'",
    ),
    (
        "state kept in a generator",
        "G = (n for n in range(9))\n" + macro("for n in G:\n    return n"),
        MacroFailed,
        "'G' keeps a generator between calls",
    ),
    (
        "state kept in an iterator",
        "M = map(abs, [1, 2])\n" + macro("for n in M:\n    return n"),
        MacroFailed,
        "'M' keeps a map between calls",
    ),
    (
        "state kept in a bound method",
        "A = [].append\n" + macro("A(1)\nreturn 1"),
        MacroFailed,
        "'A' keeps a builtin_function_or_method",
    ),
    (
        "state kept in a closure",
        "def make():\n    seen = []\n\n    def f():\n        seen.append(1)\n"
        "        return len(seen)\n\n    return f\n\n\nF = make()\n" + macro("return F()"),
        MacroFailed,
        "no attribute 'append'",
    ),
    (
        "state kept in a helper's default",
        "def helper(seen=[]):\n    seen.append(1)\n    return len(seen)\n"
        + macro("return helper()"),
        MacroFailed,
        "no attribute 'append'",
    ),
    (
        "state kept in a default",
        "def value(event, seen=[]):\n    seen.append(1)\n    return 1\n",
        SourceRefused,
        "must take 1 parameter",
    ),
    (
        "math overflow",
        "import math\n" + macro("return math.exp(10000)"),
        MacroFailed,
        "OverflowError",
    ),
    ("float result", macro("return 0.1 + 0.2"), ResultRefused, "float 0.30000000000000004"),
]


@pytest.mark.parametrize(
    ("source", "error", "words"),
    [case[1:] for case in RUN_TIME],
    ids=[case[0] for case in RUN_TIME],
)
def test_stopped_at_run_time(
    runner: MacroRunner, source: str, error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as stopped:
        runner.value_events(MacroSource.of("valuation", source), [EVENT])
    assert words in str(stopped.value)


def test_at_least_25_escapes_are_tried() -> None:
    assert len(COMPILE_TIME) + len(RUN_TIME) >= 25


def test_the_worker_survives_a_refusal(runner: MacroRunner) -> None:
    with pytest.raises(MacroFailed):
        runner.value_events(MacroSource.of("valuation", macro("return 'x' * 10**10")), [EVENT])
    ok = runner.value_events(MacroSource.of("valuation", macro("return 2")), [EVENT])
    assert ok[0].value == Decimal(2)


def test_a_refusal_cannot_be_caught_by_the_macro(runner: MacroRunner) -> None:
    source = macro("try:\n    return len('x' * 10**10)\nexcept Exception:\n    return 0")
    with pytest.raises(MacroFailed, match="repeat too large"):
        runner.value_events(MacroSource.of("valuation", source), [EVENT])


def test_a_time_limit_kills_the_worker_and_the_next_call_gets_a_new_one(
    runner: MacroRunner,
) -> None:
    with pytest.raises(LimitExceeded):
        runner.value_events(MacroSource.of("valuation", macro("while True:\n    pass")), [EVENT])
    assert runner.value_events(MacroSource.of("valuation", macro("return 3")), [EVENT])[0] == (
        Decimal(3),
        {},
    )


def test_a_runtime_error_names_the_line_and_the_event(runner: MacroRunner) -> None:
    source = macro("d = event.properties['duration']\nreturn d // (d - 61)")
    with pytest.raises(MacroFailed) as failed:
        runner.value_events(MacroSource.of("valuation", source), [EVENT])
    assert failed.value.line == 3  # line 1 is `def value(event):`
    assert failed.value.index == 0
    assert "ZeroDivisionError" in str(failed.value)


def test_the_decimal_context_is_fresh_for_every_run(runner: MacroRunner) -> None:
    # 1 / 3 at the default precision of 28 digits: a changed context would show fewer digits.
    source = "from decimal import Decimal\n" + macro("return Decimal(1) / Decimal(3)")
    result = runner.value_events(MacroSource.of("valuation", source), [EVENT])
    assert result[0].value == Decimal("0.3333333333333333333333333333")


def test_compile_macro_refuses_a_syntax_error_with_line_and_column() -> None:
    with pytest.raises(SourceRefused) as refused:
        compile_macro("def value(event):\n    return (1 +\n", Kind.VALUATION)
    assert (refused.value.line, refused.value.column) == (2, 12)
    assert "syntax error" in refused.value.message
