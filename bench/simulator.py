"""Benchmark: generate a world of about 10 M transactions (30 000 customers x 12 months) to parquet.

Prints rows per table, seconds and rows/s for generation alone (in memory, chunk by chunk) and for
generation plus streaming to parquet. Peer: the 2-minute budget for 10 M transactions (ratio < 1 is
within budget).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sandbox.simulator import SimConfig, iter_world
from sandbox.simulator.io import write_world

BUDGET_S = 120.0


def main(customers: int = 30_000, months: int = 12) -> None:
    cfg = SimConfig(customers=customers, months=months, seed=2026)
    t0 = time.perf_counter()
    rows: dict[str, int] = {}
    for name, df in iter_world(cfg):
        rows[name] = rows.get(name, 0) + df.height
    gen_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t1 = time.perf_counter()
        written = write_world(cfg, Path(tmp) / "world")
        write_s = time.perf_counter() - t1
        size = sum(p.stat().st_size for p in (Path(tmp) / "world").iterdir())
    assert written == rows
    for name, n in rows.items():
        print(f"{name:18s} {n:>12,d}")
    tx = rows["transactions"]
    total = sum(rows.values())
    print(
        f"generate only   : {gen_s:6.1f} s  {tx / gen_s:>12,.0f} transactions/s  {total / gen_s:>12,.0f} rows/s"
    )
    print(
        f"generate+parquet: {write_s:6.1f} s  {tx / write_s:>12,.0f} transactions/s  {total / write_s:>12,.0f} rows/s"
        f"  ({size / 1e6:,.0f} MB)"
    )
    print(f"ratio vs 2-minute budget for {tx / 1e6:.1f} M transactions: {write_s / BUDGET_S:.2f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
