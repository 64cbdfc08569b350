"""orjson's text for JSON columns and content hashes, against the standard library's."""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.db.json_text import canonical, dumps

# What a content hash covers: strings (amounts written as text), None, booleans, small
# integers, lists and objects with string keys. Surrogates are not text UTF-8 can carry.
_text = st.text(st.characters(exclude_categories=("Cs",)))
_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _text
_content = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@given(_content)
def test_canonical_text_is_the_standard_encoders_byte_for_byte(value: object) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical(value) == expected.encode()


@given(_content)
def test_column_text_reads_back_as_the_value(value: object) -> None:
    assert json.loads(dumps(value)) == value


def test_a_stored_content_hash_text_is_unchanged() -> None:
    # Control characters, a line separator, quotes, backslashes and non-ASCII letters: the
    # escapes json.dumps(ensure_ascii=False) writes (\n, \u0000, \") and UTF-8 for the rest.
    value = {"z": "é\u2028", "a": ['\x00\n\t"\\', None, True, 12]}
    expected = b'{"a":["\\u0000\\n\\t\\"\\\\",null,true,12],"z":"\xc3\xa9\xe2\x80\xa8"}'
    assert canonical(value) == expected


class Colour(StrEnum):
    RED = "red"


@dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**70},  # beyond orjson's 64 bits
        {1: "integer key"},  # orjson takes string keys only
        {"colour": Colour.RED},  # a subclass of str
        ["a", 1.5, {"b": [2**64, "c"]}],
    ],
)
def test_what_orjson_refuses_or_writes_otherwise_reads_back_as_before(value: object) -> None:
    assert json.loads(dumps(value)) == json.loads(json.dumps(value))
    assert (
        canonical(value)
        == json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


@pytest.mark.parametrize("value", [date(2026, 1, 15), Point(1), Decimal("1.5")])
def test_what_json_dumps_refused_is_still_refused(value: object) -> None:
    # A date or a Decimal in a JSON column is a mistake to see, not text to guess.
    with pytest.raises(TypeError):
        dumps({"value": value})
    with pytest.raises(TypeError):
        canonical({"value": value})
