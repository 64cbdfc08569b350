"""The JSON of ingestion: numbers read exactly, `NaN` refused, properties written alike by
orjson and by the standard encoder it stands in for."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tarif.usage.ingest import _encoder, dumps, loads

# What `loads` gives back: strings (lone surrogates included, `\ud800` is valid JSON text),
# integers of any size, exact decimals, booleans, null, and lists and objects of them.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_dumps_writes_what_the_standard_encoder_writes(properties: dict[str, Any]) -> None:
    assert dumps(properties) == _encoder.encode(properties)


def test_dumps_of_copy_special_and_non_ascii_characters() -> None:
    properties = {"site": 'Lyon\tB\nC:\\temp "é" \x01 \u2028', "n": 2**70, "x": Decimal("1.5")}
    # The control character as \u0001, U+2028 as itself, the big integer whole, 1.5 as a number.
    expected = (
        '{"site":"Lyon\\tB\\nC:\\\\temp \\"é\\" \\u0001 \u2028","n":1180591620717411303424,"x":1.5}'
    )
    assert dumps(properties) == expected
    assert json.loads(expected) == {**properties, "x": 1.5}


def test_loads_reads_numbers_exactly_and_refuses_nan_and_infinity() -> None:
    assert loads('{"v": 0.1, "n": 3}') == {"v": Decimal("0.1"), "n": 3}
    for text in ('{"v": NaN}', '{"v": Infinity}', '{"v": -Infinity}'):
        with pytest.raises(ValueError, match="is not a JSON number"):
            loads(text)
