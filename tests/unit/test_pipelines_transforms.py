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
    assert (
        pseudonymise_distinct(keys, "pix_key", key=b"k").to_list()
        == pseudonymise(keys, "pix_key", key=b"k").to_list()
    )
    names = pl.Series("n", ["José  da Silva", "JOSE DA SILVA", None])
    assert (
        pseudonymise_distinct(names, "name", key=b"k").to_list()
        == pseudonymise(names, "name", key=b"k").to_list()
    )


def _naive_features(tx: pl.DataFrame, logins: pl.DataFrame) -> pl.DataFrame:
    """Straightforward reference: per-window polars rolling, per-row n_unique, join_asof for logins."""
    from datetime import timedelta

    lf = tx.sort("customer_pk", "booked_at")
    out = lf.select("transaction_id")
    for w in ("1h", "24h", "7d", "30d"):
        r = lf.rolling("booked_at", period=w, closed="left", group_by="customer_pk").agg(
            pl.len().alias("n"),
            pl.col("amount_cents").sum().alias("s"),
            pl.col("amount_cents").max().alias("m"),
        )
        out = out.with_columns(r["n"].alias(f"tx_count_{w}"), r["s"].alias(f"tx_sum_cents_{w}"))
        if w == "30d":
            out = out.with_columns(r["m"].alias("max_amount_cents_30d"))
    rows = lf.to_dicts()
    for w, d in (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)), ("30d", timedelta(days=30))):
        out = out.with_columns(
            pl.Series(
                f"distinct_counterparties_{w}",
                [
                    len(
                        {
                            x["counterparty_pk"]
                            for x in rows
                            if x["customer_pk"] == r["customer_pk"]
                            and r["booked_at"] - d <= x["booked_at"] < r["booked_at"]
                            and x["counterparty_pk"] is not None
                        }
                    )
                    for r in rows
                ],
            )
        )
    first = pl.col("booked_at").min().over("customer_pk", "counterparty_pk")
    out = out.with_columns(
        lf.select(
            (pl.col("counterparty_pk").is_not_null() & (pl.col("booked_at") == first)).alias(
                "is_first_time_counterparty"
            )
        )
    )
    lg = logins.sort("at")
    dev = pl.concat(
        [
            lg.filter("is_new_device").select("customer_pk", pl.col("at").alias("d")),
            lf.filter("is_new_device").select("customer_pk", pl.col("booked_at").alias("d")),
        ]
    ).sort("d")
    t = (
        lf.select("transaction_id", "customer_pk", "booked_at")
        .sort("booked_at")
        .join_asof(
            lg.select("customer_pk", pl.col("at").alias("l")),
            left_on="booked_at",
            right_on="l",
            by="customer_pk",
            allow_exact_matches=False,
        )
        .join_asof(dev, left_on="booked_at", right_on="d", by="customer_pk", allow_exact_matches=False)
        .select(
            "transaction_id",
            ((pl.col("booked_at") - pl.col("l")).dt.total_seconds() / 60.0).alias("minutes_since_last_login"),
            ((pl.col("booked_at") - pl.col("d")).dt.total_seconds() / 60.0).alias(
                "minutes_since_device_change"
            ),
        )
    )
    return out.join(t, on="transaction_id").with_columns(
        pl.col("^tx_count_.*$").fill_null(0).cast(pl.Int32), pl.col("^tx_sum_.*$").fill_null(0)
    )


def test_transaction_features_equal_naive_windows():
    import random
    from datetime import UTC, datetime, timedelta

    from pipelines.gold import windows
    from pipelines.gold.transforms import transaction_features

    rnd = random.Random(3)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    rows, logins = [], []
    for c in ("c1", "c2", "c3", "c4"):
        t = t0 + timedelta(seconds=rnd.randint(0, 10**6))
        for n in range(250 if c != "c4" else 3):
            t += timedelta(minutes=rnd.choice([0, 0, 1, 30, 59, 60, 300, 1440, 4000, 20000]))  # ties included
            rows.append(
                {
                    "transaction_id": f"{c}-{n}",
                    "customer_pk": c,
                    "booked_at": t,
                    "booked_month": "2025-01",
                    "amount_cents": rnd.randint(1, 10**6),
                    "credit_debit_type": "DEBITO",
                    "type": "PIX",
                    "channel": "APP",
                    "counterparty_pk": rnd.choice(["k1", "k2", "k3", "k4", "k5", None]),
                    "is_new_device": rnd.random() < 0.05,
                    "is_fraud": False,
                    "fraud_scenario": None,
                }
            )
            if rnd.random() < 0.4:
                at = t - timedelta(minutes=rnd.choice([0, 1, 90, 3000]))  # some logins at the tx instant
                logins.append({"customer_pk": c, "at": at, "is_new_device": rnd.random() < 0.2})
    logins.append({"customer_pk": "nobody", "at": t0, "is_new_device": True})
    tx = pl.DataFrame(rows, schema_overrides={"booked_at": pl.Datetime("us", "UTC")})
    lg = pl.DataFrame(logins, schema_overrides={"at": pl.Datetime("us", "UTC")})
    naive = _naive_features(tx, lg).sort("transaction_id")
    native = windows._native
    assert native() is not None  # the native module of this checkout has window_features
    # the native path, then numpy with one block and with small customer-aligned blocks
    for impl, block in ((native, windows.BLOCK_ROWS), (lambda: None, windows.BLOCK_ROWS), (lambda: None, 70)):
        old, windows.BLOCK_ROWS, windows._native = windows.BLOCK_ROWS, block, impl
        old_default = windows.numpy_window_features.__defaults__
        windows.numpy_window_features.__defaults__ = (block,)
        try:
            fast = transaction_features(tx, lg, datetime.now(UTC)).sort("transaction_id")
        finally:
            windows.BLOCK_ROWS, windows._native = old, native
            windows.numpy_window_features.__defaults__ = old_default
        assert fast.height == tx.height
        for col in naive.columns:
            assert fast[col].to_list() == naive[col].to_list(), col
    # the per-customer gold targets are one row per key (lake.delta.replace_bucket refuses repeats)
    from lake.catalog import get_table
    from pipelines.gold.transforms import counterparty_pairs, customer_day

    now = datetime.now(UTC)
    txs = tx.with_columns(signed_amount_cents=pl.col("amount_cents"), source=pl.lit("ACCOUNT"))
    built = {
        "gold.transaction_features": fast,
        "gold.customer_day": customer_day(txs, now),
        "gold.counterparty_pairs": counterparty_pairs(txs, now),
    }
    for name, df in built.items():
        keys = list(get_table(name).primary_key)
        assert df.height > 0 and not df.select(keys).is_duplicated().any(), name
    empty = transaction_features(tx.head(0), lg.head(0), datetime.now(UTC))
    assert empty.height == 0 and "distinct_counterparties_30d" in empty.columns


def test_latest_keeps_the_latest_pull_per_key_and_leaves_unique_keys_alone():
    from datetime import UTC, datetime

    from pipelines.common.dedup import latest

    at = [datetime(2026, 1, d, tzinfo=UTC) for d in (1, 3, 2, 5, 5, 1)]
    df = pl.DataFrame({"id": ["a", "a", "a", "b", "b", "c"], "v": [1, 2, 3, 4, 5, 6], "pulled_at": at})
    got = dict(latest(df, "id").select("id", "v").iter_rows())
    assert got == {"a": 2, "b": 5, "c": 6}  # a: greatest pulled_at; b: tie -> later row
    unique = df.filter(pl.col("id") == "c")
    assert latest(unique.lazy(), "id").equals(unique)
    two = latest(df.with_columns(k2=pl.lit(1)), ["id", "k2"])
    assert two.height == 3


def test_json_decode_streams_batches_and_falls_back_row_by_row(monkeypatch):
    from pipelines.common import conform

    monkeypatch.setattr(conform, "_JSON_CHUNK", 2)
    dtype = pl.Struct({"a": pl.String, "n": pl.Int64})
    df = pl.DataFrame(
        {
            "record_id": ["1", "2", "3", "4", "5"],
            "payload": [
                '{"a":"x","n":1}',
                '{"n":2}',
                '{"a":"z"}',
                '{"a":"line\\nbreak","n":4}',
                '{"a":"w","n":5,"extra":true}',
            ],
        }
    )
    for frame in (df, df.lazy()):
        out = conform.decode(frame, dtype).collect()
        assert out.columns == ["record_id", "a", "n"]
        assert out.sort("record_id").rows() == [
            ("1", "x", 1),
            ("2", None, 2),
            ("3", "z", None),
            ("4", "line\nbreak", 4),
            ("5", "w", 5),
        ]
    empty = conform.decode(df.head(0).lazy(), dtype).collect()
    assert empty.columns == ["record_id", "a", "n"] and empty.height == 0


def test_customer_time_order_one_key_or_two_gives_the_same_order():
    from datetime import UTC, datetime, timedelta

    from pipelines.gold.transforms import _by_customer_time

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    df = pl.DataFrame(
        {
            "_code": pl.Series([2, 0, 1, 0, 2, 1], dtype=pl.UInt32),
            "booked_at": [t0 + timedelta(minutes=m) for m in (5, 9, 1, 3, 2, 7)],
        }
    )
    want = df.sort("_code", "booked_at")
    assert _by_customer_time(df).equals(want)
    far = df.with_columns(
        pl.col("booked_at") + pl.Series([timedelta(days=20_000 * 365 * i) for i in range(6)])
    )
    assert _by_customer_time(far).equals(
        far.sort("_code", "booked_at")
    )  # too wide for one key: two-column sort
