"""Pure transform helpers: money parsing, distinct-value pseudonymisation equals the column version."""

from __future__ import annotations

import polars as pl

from lake.pseudonym import pseudonymise
from pipelines.common.conform import cents, pseudonymise_distinct, ts


def test_cents_parse_exactly_and_reject_bad_amounts():
    s = pl.Series(["12.34", "12.3400", "0.01", "-5.00", "abc", "1.234", None, "99999999999.99"])
    got = pl.select(cents(pl.lit(s))).to_series().to_list()
    assert got == [1234, 1234, 1, None, None, None, None, 9999999999999]


def test_timestamps_parse_to_utc_or_null():
    s = pl.Series(["2025-01-01T12:00:00.123Z", "2025-01-01T12:00:00Z", "yesterday", None])
    got = pl.select(ts(pl.lit(s))).to_series()
    assert got.dtype == pl.Datetime("us", "UTC")
    assert got.null_count() == 2


def test_distinct_pseudonymisation_matches_column_pseudonymisation():
    keys = pl.Series("k", ["a@b.com", "A@B.com ", "+5511987654321", None, "a@b.com", "12345678909"] * 3)
    assert pseudonymise_distinct(keys, "pix_key", key=b"k").to_list() == pseudonymise(keys, "pix_key", key=b"k").to_list()
    names = pl.Series("n", ["José  da Silva", "JOSE DA SILVA", None])
    assert pseudonymise_distinct(names, "name", key=b"k").to_list() == pseudonymise(names, "name", key=b"k").to_list()
