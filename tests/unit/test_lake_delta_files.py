"""lake.delta_files: the Delta statistics read from the Parquet footer equal the ones scanned from the rows."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.delta_files import stats_from_footer, stats_json

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _nullable(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), values)


@st.composite
def frames(draw) -> pl.DataFrame:
    n = draw(st.integers(1, 40))

    def col(s):
        return draw(st.lists(_nullable(s), min_size=n, max_size=n))

    floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.just(float("nan")))
    return pl.DataFrame(
        {
            "i": pl.Series(col(st.integers(-(2**63), 2**63 - 1)), dtype=pl.Int64),
            "small": pl.Series(col(st.integers(-128, 127)), dtype=pl.Int8),
            "f": pl.Series(col(floats), dtype=pl.Float64),
            "s": pl.Series(col(st.text(max_size=70)), dtype=pl.String),
            "hexish": pl.Series(col(st.text("0123456789abcdef", min_size=60, max_size=68)), dtype=pl.String),
            "b": pl.Series(col(st.booleans()), dtype=pl.Boolean),
            "d": pl.Series(col(st.dates(date(1970, 1, 1), date(2100, 1, 1))), dtype=pl.Date),
            "ts": pl.Series(
                col(st.integers(-(10**12), 10**13).map(lambda us: T0 + timedelta(microseconds=us))),
                dtype=pl.Datetime("us", "UTC"),
            ),
            "money": pl.Series(
                col(st.integers(-(10**12), 10**12).map(lambda c: Decimal(c) / 100)), dtype=pl.Decimal(18, 2)
            ),
            "nothing": pl.Series([None] * n, dtype=pl.String),
        }
    )


@settings(max_examples=150, deadline=None)
@given(df=frames(), row_group=st.integers(1, 16), dictionary=st.booleans())
def test_footer_statistics_equal_scanned_statistics(tmp_path_factory, df, row_group, dictionary):
    path = tmp_path_factory.mktemp("stats") / "f.parquet"
    pq.write_table(
        df.to_arrow(compat_level=pl.CompatLevel.newest()),
        path,
        row_group_size=row_group,
        compression="zstd",
        use_dictionary=dictionary,
        store_decimal_as_integer=True,
        dictionary_pagesize_limit=8 << 20,
    )
    got = stats_from_footer(pq.read_metadata(path), df)
    assert got is not None and json.loads(got) == json.loads(stats_json(df))


def test_footer_without_statistics_falls_back(tmp_path):
    df = pl.DataFrame({"a": [1, 2], "s": ["x", None]})
    path = tmp_path / "f.parquet"
    pq.write_table(df.to_arrow(), path, write_statistics=False)
    assert stats_from_footer(pq.read_metadata(path), df) is None
    assert stats_from_footer(pq.read_metadata(path), df.head(1)) is None  # another frame's footer
