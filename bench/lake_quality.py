"""Benchmark: the quality split of 1 M rows with great-expectations (COMPLETE result format,
``unexpected_index_list``) against the same rules as polars expressions (lake.quality's default).

    .venv/bin/python -m bench.lake_quality [rows]

Prints seconds for each engine and the ratio GX/polars; both engines must give the same split.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import polars as pl

from lake import quality as q
from lake.domain.world_schema import TRANSACTION_TYPES

SUITE = q.Suite(
    "bench",
    (
        q.not_null("transaction_id"),
        q.unique("transaction_id"),
        q.in_set("type", TRANSACTION_TYPES),
        q.between("amount_cents", min=1, max=10_000_000_00),
        q.regex("booked_month", r"^\d{4}-\d{2}$"),
        q.valid_cpf("cpf"),
    ),
)


def _frame(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    return pl.DataFrame(
        {
            "transaction_id": pl.Series(rng.integers(0, n * 50, n)).cast(pl.String),
            "type": rng.choice([*TRANSACTION_TYPES, "BAD"], n).tolist(),
            "amount_cents": rng.integers(-10, 1_000_000, n),
            "booked_month": rng.choice(["2026-01", "2026-02", "26-3"], n, p=[0.5, 0.49, 0.01]).tolist(),
            "cpf": rng.choice(["52998224725", "11144477735", "52998224724"], n, p=[0.5, 0.49, 0.01]).tolist(),
        }
    )


def main(rows: int = 1_000_000) -> dict[str, float]:
    df = _frame(rows)
    t = time.perf_counter()
    pg, pb = q.split_valid(df, SUITE)
    polars_s = time.perf_counter() - t
    q.split_valid(df.head(10), SUITE, engine="gx")  # import + context outside the timing
    t = time.perf_counter()
    gg, gb = q.split_valid(df, SUITE, engine="gx")
    gx_s = time.perf_counter() - t
    same = pg.equals(gg) and pb.equals(gb)
    print(
        f"quality split of {rows:,} rows ({len(SUITE.checks)} checks, {pb.height:,} bad): "
        f"polars {polars_s:.2f} s | great-expectations {gx_s:.2f} s | ratio gx/polars {gx_s / polars_s:.1f}x | "
        f"same split: {same}"
    )
    return {"polars_s": polars_s, "gx_s": gx_s}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
