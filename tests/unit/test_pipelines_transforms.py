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


def test_distinct_before_equals_rolling_n_unique():
    import random
    from datetime import UTC, datetime, timedelta

    from pipelines.gold.transforms import distinct_before

    rnd = random.Random(3)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for c in ("a", "b", "c"):
        t = t0
        for _ in range(300):
            t += timedelta(minutes=rnd.choice([0, 1, 30, 300, 1440, 4000]))  # ties included
            rows.append((c, t, rnd.choice(["k1", "k2", "k3", "k4", "k5", None])))
    df = pl.DataFrame(rows, schema={"customer_pk": pl.String, "booked_at": pl.Datetime("us", "UTC"),
                                    "counterparty_pk": pl.String}, orient="row").sort("customer_pk", "booked_at")
    df = df.with_row_index("_i")
    base = df.lazy().select("_i", pl.col("customer_pk").rank("dense").alias("_c"), "booked_at", "counterparty_pk")
    for w in ("24h", "7d"):
        fast = distinct_before(base, w).collect().sort("_i")
        naive = []
        for r in df.iter_rows(named=True):
            lo = r["booked_at"] - (timedelta(hours=24) if w == "24h" else timedelta(days=7))
            win = df.filter((pl.col("customer_pk") == r["customer_pk"]) & (pl.col("booked_at") >= lo)
                            & (pl.col("booked_at") < r["booked_at"]))
            naive.append(win["counterparty_pk"].drop_nulls().n_unique())
        assert fast[f"distinct_counterparties_{w}"].to_list() == naive
