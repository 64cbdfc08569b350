"""JSON text for the JSON columns and for content hashes, made by orjson.

A billing run encodes, for every invoice it finalizes, a document snapshot, a VAT breakdown, an
audit record and the canonical text of its content hash: with the standard library's encoder
that was a tenth of a 100,000-contract run. orjson makes the same text several times faster.

- `dumps`: the text JSON columns store (the engines' `json_serializer`), compact. What orjson
  refuses or would encode its own way (integers beyond 64 bits, keys other than strings,
  dates, dataclasses, subclasses of str, int, dict and list) goes to `json.dumps`: a column
  takes what it took before and reads back the same. Two differences: NaN and infinities,
  which JSON does not have, are written `null` (they were written `NaN`, which PostgreSQL
  refused), and an enumeration member is written as its value (`json.dumps` took only those
  of str or int enumerations); nothing Tarif stores holds either.
- `canonical`: the bytes a content hash is taken of, sorted keys, no spaces, UTF-8: byte for
  byte `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`,
  so hashes stored before stay verifiable (a Hypothesis property checks the two agree).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# Everything orjson would write its own way goes to `default`, which refuses it: the standard
# encoder then writes the whole value.
_AS_BEFORE = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, default=_refuse, option=_AS_BEFORE).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_refuse, option=_AS_BEFORE | orjson.OPT_SORT_KEYS)
    except TypeError:
        return _CANONICAL.encode(value).encode()
