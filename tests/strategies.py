"""Hypothesis strategies shared by the fuzz tests (pytest -m fuzz).

`from_json_schema` turns a tool's JSON Schema (the registry's `parameters`, the very schema the LLM gets)
into arguments that satisfy it; it knows exactly the keywords our pydantic models produce and refuses
any other, so a new kind of argument can never go silently unfuzzed. The rest are hostile inputs: JSON
nested thousands deep, numbers of thousands of digits, odd Unicode (NUL, lone surrogates, "²", bidi
controls), wrong types, bodies that aren't JSON and bodies that are far too big.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

SCHEMA_KEYWORDS = {
    "type",
    "properties",
    "required",
    "description",
    "default",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "enum",
    "format",
}

# Strings that have broken parsers somewhere: digits int() refuses or that aren't ASCII, numbers past
# int()'s 4,300-digit limit, NUL (PostgreSQL refuses it), lone surrogates (UTF-8 can't encode them),
# bidi and zero-width characters, markup, and words JSON or SQL give meaning to.
ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "²",
    "٣",
    "𝟗",
    "Ⅻ",
    "9" * 5_000,
    "-" + "9" * 30,
    "1e999",
    "NaN",
    "null",
    "\ud800",
    "x\udfffy",
    "\ufeff",
    "\u202e",
    "\u200b",
    "ß",
    "İ",
    "<Response><Hangup/></Response>",
    "' OR 1=1 --",
    "%00",
    "\\",
    "x" * 20_000,
]
# The same for JSON arguments: the strings, and numbers and types no argument expects.
ODD_JSON_VALUES: list[Any] = [
    *ODD_STRINGS,
    0,
    -1,
    2**31,
    2**63,
    10**30,
    10**4_000,
    1.5,
    -0.0,
    1e308,
    float("inf"),
    float("nan"),
    True,
    None,
    [],
    {},
    [[[[]]]],
    {"a": {"b": None}},
]
ODD_STRINGS_FORM = [s for s in ODD_STRINGS if not any(0xD800 <= ord(c) <= 0xDFFF for c in s)]


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    fmt = schema.get("format")
    if fmt == "date":
        return st.dates().map(lambda d: d.isoformat())
    if fmt == "date-time":
        offsets = st.none() | st.integers(-1439, 1439).map(lambda m: timezone(timedelta(minutes=m)))
        moments = st.datetimes(
            min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
        )
        return moments.map(lambda m: m.isoformat())
    if fmt is not None:
        raise ValueError(f"from_json_schema: string format {fmt!r} is not supported; add it here")
    return st.text(min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 200))


def _integer(schema: dict[str, Any]) -> st.SearchStrategy[int]:
    low = schema.get("minimum")
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + 1
    return st.integers(min_value=low, max_value=schema.get("maximum"))


def from_json_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that satisfy `schema` (the subset of JSON Schema our pydantic argument models produce)."""
    unknown = set(schema) - SCHEMA_KEYWORDS
    if unknown:
        raise ValueError(f"from_json_schema: keywords {sorted(unknown)} are not supported; add them here")
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: from_json_schema(properties[name]) for name in properties if name in required},
            optional={
                name: from_json_schema(sub) for name, sub in properties.items() if name not in required
            },
        )
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return _integer(schema)
    if kind == "boolean":
        return st.booleans()
    raise ValueError(f"from_json_schema: type {kind!r} is not supported; add it here")


def odd_text(*, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Any text, weighted towards the characters and shapes that break parsers."""
    odd = ODD_STRINGS if surrogates else ODD_STRINGS_FORM
    categories = ["Cc", "Cf", "Zs", "No", "Nd", "Mn", "So"] + (["Cs"] if surrogates else [])
    return st.one_of(
        st.sampled_from(odd),
        st.text(max_size=40),
        st.text(st.characters(categories=categories), max_size=40),
    )


def huge_integers() -> st.SearchStrategy[int]:
    """Integers around and far past what the database holds (bigint is 2**63 - 1)."""
    return st.one_of(
        st.integers(),
        st.integers(min_value=2**31 - 2, max_value=2**31 + 2),
        st.integers(min_value=2**63 - 2, max_value=2**63 + 2),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.just(10**4_000),  # still below int()'s 4,300-digit limit, so json.dumps can write it
    )


def json_scalars(*, surrogates: bool = True) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        huge_integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        odd_text(surrogates=surrogates),
    )


def json_values(*, surrogates: bool = True) -> st.SearchStrategy[Any]:
    """Any JSON value (wrong types for every argument), a few levels deep."""
    return st.recursive(
        json_scalars(surrogates=surrogates),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(odd_text(), children, max_size=4),
        max_leaves=12,
    )


def hostile_arguments(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Objects whose known arguments hold any JSON value, plus things that aren't objects at all."""
    names = list(schema.get("properties", {}))
    values = json_values()
    objects = st.fixed_dictionaries({}, optional={name: values for name in names})
    with_extras = st.tuples(objects, st.dictionaries(odd_text(), values, max_size=3)).map(
        lambda pair: {**pair[1], **pair[0]}
    )
    return st.one_of(objects, with_extras, values)


def deep_json(depth: int) -> st.SearchStrategy[str]:
    """JSON nested `depth` levels, closed or not."""
    return st.sampled_from(
        [
            '{"a":' * depth + "1" + "}" * depth,
            "[" * depth + "]" * depth,
            "[" * depth,
            '{"vehicle": ' + '{"make": ' * depth + '"x"' + "}" * (depth + 1),
        ]
    )


def hostile_bodies(schema: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Request bodies: hostile arguments as JSON (escaped or as raw UTF-8, lone surrogates and all),
    JSON nested past the recursion limit, numbers of thousands of digits, bytes that aren't UTF-8 or
    JSON, and bodies past the API's 64 KB limit."""
    names = list(schema.get("properties", {})) or ["x"]

    def encode(pair: tuple[Any, bool]) -> bytes:
        value, ascii_only = pair
        text = json.dumps(value, ensure_ascii=ascii_only)
        return text.encode("utf-8", "surrogatepass")

    as_json = st.tuples(hostile_arguments(schema), st.booleans()).map(encode)
    nested = st.integers(min_value=500, max_value=12_000).flatmap(deep_json).map(str.encode)
    long_numbers = st.tuples(st.sampled_from(names), st.integers(4_000, 20_000)).map(
        lambda pair: f'{{"{pair[0]}": {"9" * pair[1]}}}'.encode()
    )
    huge = st.tuples(st.sampled_from(names), st.integers(60_000, 300_000)).map(
        lambda pair: json.dumps({pair[0]: "x" * pair[1]}).encode()
    )
    return st.one_of(
        as_json,
        nested,
        long_numbers,
        huge,
        st.binary(max_size=200),
        st.sampled_from(
            [b"", b"null", b"\xef\xbb\xbf{}", b"{}garbage", b'{"a":1,"a":2}', b"NaN", b"\xff\xfe{}"]
        ),
    )
