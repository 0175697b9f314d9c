"""The native JSON payload decoder (cofre_native.json_decode via pipelines.common.conform) gives the
same frame as polars' ``str.json_decode`` on every payload it accepts, and declines (the polars path
decodes) every payload it does not: invalid JSON, values of another type, repeated keys, nulls."""

from __future__ import annotations

import json

import cofre_native
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.common import conform
from pipelines.open_finance.transforms import ACCOUNT_TX, CARD_TX, CONTEXT

S = pl.String
SHAPE = pl.Struct(
    {
        "s": S,
        "n": pl.Int64,
        "b": pl.Boolean,
        "o": pl.Struct({"x": S, "k": pl.Int64, "in": pl.Struct({"z": pl.Boolean})}),
    }
)

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
# mostly the field's own type or null, sometimes another JSON type (the native decoder must decline)
scalar = st.one_of(st.none(), text, ints, st.booleans(), st.floats(allow_nan=False, allow_infinity=False))


def _field(own: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(own, own, own, st.none(), scalar)


inner = st.fixed_dictionaries({}, optional={"z": _field(st.booleans()), "other": scalar})
obj = st.fixed_dictionaries(
    {},
    optional={
        "x": _field(text),
        "k": _field(ints),
        "in": st.one_of(inner, st.none(), scalar),
        "junk": st.lists(scalar, max_size=2),
    },
)
payload = st.fixed_dictionaries(
    {},
    optional={
        "s": _field(text),
        "n": _field(ints),
        "b": _field(st.booleans()),
        "o": st.one_of(obj, obj, st.none(), scalar),
        "extra": scalar,
    },
)


def _polars(p: pl.Series, dtype: pl.Struct) -> pl.DataFrame | None:
    try:
        return p.str.json_decode(dtype).struct.unnest()
    except pl.exceptions.PolarsError:
        return None


def _fits(v: object, dt: pl.DataType) -> bool:
    if v is None:
        return True
    if isinstance(dt, pl.Struct):
        return isinstance(v, dict) and all(_fits(v.get(f.name), f.dtype) for f in dt.fields)
    if dt == pl.Boolean:
        return isinstance(v, bool)
    if dt == pl.Int64:
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, str)


@settings(max_examples=300, deadline=None)
@given(st.lists(payload, min_size=1, max_size=8), st.booleans())
def test_native_decoder_equals_polars_or_declines(rows, spaced):
    p = pl.Series(
        "payload",
        [json.dumps(r, ensure_ascii=spaced, separators=(", ", ": ") if spaced else (",", ":")) for r in rows],
    )
    native = conform._native_rows(p, SHAPE)
    if all(_fits(r, SHAPE) for r in rows):
        assert native is not None
        ref = _polars(p, SHAPE)
        assert ref is not None
        assert native.schema == ref.schema
        assert native.equals(ref), (native, ref)
        assert native.select(pl.col("o").is_null()).equals(ref.select(pl.col("o").is_null()))
    else:
        assert native is None  # declined: _json_rows decodes with polars, whatever polars makes of it
    ref_rows = conform._json_rows(p, SHAPE) if native is not None else None
    if ref_rows is not None:
        assert ref_rows.equals(native)


@pytest.mark.parametrize(
    "bad",
    [
        '{"s":"a"',
        '{"s":"a"}x',
        "[1,2]",
        '"text"',
        '{"s":"a","s":"b"}',
        '{"n":1.0}',
        '{"n":9223372036854775808}',
        '{"s":"\\ud800"}',
        "",
        "null",
    ],
)
def test_native_decoder_declines_what_it_cannot_type(bad):
    p = pl.Series("payload", ['{"s":"ok"}', bad])
    assert conform._native_rows(p, SHAPE) is None
    assert conform._native_rows(pl.Series("payload", ['{"s":"ok"}', None]), SHAPE) is None


def test_native_decoder_handles_escapes_and_unicode_and_the_lake_shapes():
    rows = [
        {"s": 'quote " back \\ nl \n tab \t é ☃ \U0001f600', "o": {"x": "", "in": {"z": False}}},
        {},
        {"o": None},
    ]
    for ascii_ in (True, False):
        p = pl.Series("payload", [json.dumps(r, ensure_ascii=ascii_) for r in rows])
        assert conform._native_rows(p, SHAPE).equals(p.str.json_decode(SHAPE).struct.unnest())
    tx = {
        "transactionId": "T1",
        "creditDebitType": "DEBITO",
        "type": "PIX",
        "transactionAmount": {"amount": "1.00", "currency": "BRL"},
        "transactionDateTime": "2026-01-01T00:00:00Z",
        "partieCnpjCpf": None,
        "payeeMCC": 5411,
        "channel": "APP",
        "is_new_device": True,
        "mcc": None,
    }
    p = pl.Series("payload", [json.dumps(tx), json.dumps({**tx, "transactionAmount": None})])
    for dtype in (ACCOUNT_TX, CARD_TX, CONTEXT):
        assert conform._native_rows(p, dtype).equals(p.str.json_decode(dtype).struct.unnest())


def test_shapes_with_other_types_use_polars():
    assert conform._shape(pl.Struct({"a": pl.List(pl.String)})) is None
    assert conform._shape(pl.Struct({"a": pl.Float64})) is None
    assert conform._shape(CONTEXT) is not None


def test_native_decoder_reads_string_views_and_large_strings_alike():
    """Polars hands string views (inline up to 12 bytes, else in data buffers; slices keep an offset);
    Arrow large strings take the offsets path: both decode the same."""
    import numpy as np
    import pyarrow as pa
    from cofre_native import json_decode

    rows = [{"s": "x" * i, "n": i} for i in range(40)] + [{}, {"b": True}]
    p = pl.concat(
        [
            pl.Series("payload", [json.dumps(r) for r in rows[:20]]),
            pl.Series("payload", [json.dumps(r) for r in rows[20:]]),
        ],
        rechunk=False,
    )
    ref = p.str.json_decode(SHAPE).struct.unnest()
    assert conform._native_rows(p, SHAPE).equals(ref)
    assert conform._native_rows(p.slice(7, 25), SHAPE).equals(ref.slice(7, 25))
    arr = pa.array([json.dumps(r) for r in rows], pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    cols = json_decode(conform._shape(SHAPE), offsets, np.frombuffer(arr.buffers()[2], dtype=np.uint8))
    assert cols[2][1].tolist() == [*range(40), 0, 0] and cols[2][0].tolist() == [True] * 40 + [False, False]
    with pytest.raises(cofre_native.ArgumentError, match="16 bytes per row"):
        json_decode(conform._shape(SHAPE), np.zeros(15, np.uint8), [], views=True)
