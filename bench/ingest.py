"""Benchmark: source -> bronze ingestion through the sandboxes (transactions/s, CPU-s per 100k).

What the bronze assets do, outside Dagster, over a generated world: the Open Finance pull (a consent
per customer, accounts, 12 months of account and card transactions, loans) and the Pix received
pull (one ``GET /pix`` query per UTC day of the year), each through the real-protocol client against
the sandbox app in-process (as ``make demo`` runs them), with the pool sizes of the pipeline's
resources; then the bronze frames and one insert-only Delta MERGE per table.

Reports, per source and in total: rows, wall seconds, CPU seconds of this process and transactions
per second source -> bronze (pull + frame + write), against the goal of issue 23 (50 k tx/s). The
machine may be shared: the CPU seconds carry across runs, wall seconds do not (the load average is
printed with the figures).

Usage: python -m bench.run ingest           (2000 customers, the demo's world)
       python -m bench.ingest [customers]
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from lake.settings import load_settings
from pipelines.common.bronze import BronzeBatch
from pipelines.common.parallel import run_pool
from pipelines.common.writes import write_bronze
from pipelines.open_finance.pull import OpenFinancePull, RawOpenFinanceClient, pull_customer
from pipelines.pix.pull import pull_day
from pipelines.resources import OpenFinanceResource, PixResource
from pipelines.sources.pix.client import PixClient
from sandbox.open_finance.server import create_app as of_app
from sandbox.pix.server import create_app as pix_app
from sandbox.simulator import SimConfig, generate_world
from sandbox.world_index import WorldIndex

GOAL_TX_S = 50_000
T = TypeVar("T")


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    c0, t0 = _cpu(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, _cpu() - c0


def _pool(resource_cls: type) -> tuple[int, int]:
    fields = resource_cls.model_fields
    return int(fields["threads"].default), int(fields["concurrency"].default)


def _line(name: str, tx: int, wall: float, cpu: float) -> None:
    print(
        f"{name:<34} {tx:>9,d} tx  {wall:6.1f} s wall  {cpu:6.1f} CPU-s  {tx / wall:>9,.0f} tx/s  "
        f"{100_000 * cpu / max(tx, 1):5.2f} CPU-s/100k tx",
        flush=True,
    )


def main(customers: int = 2000) -> None:
    world = generate_world(SimConfig(customers=customers, seed=42))
    index = WorldIndex(world)
    with tempfile.TemporaryDirectory() as tmp:
        s = load_settings(home=tmp, lake_uri=os.path.join(tmp, "lake"))
        of_threads, of_conc = _pool(OpenFinanceResource)
        pix_threads, pix_conc = _pool(PixResource)
        print(
            f"world: {customers} customers, {world['transactions'].height:,d} transactions; "
            f"open finance pool {of_threads}x{of_conc}, pix pool {pix_threads}x{pix_conc}; "
            f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores",
            flush=True,
        )
        of = of_app(index, s)
        cpfs = world["customers"].get_column("cpf").to_list()
        out = OpenFinancePull()
        _, pw, pc = _timed(
            lambda: run_pool(
                cpfs,
                lambda: RawOpenFinanceClient.from_settings(s, app=of),
                lambda c, cpf: pull_customer(c, cpf, index.today, out),
                threads=of_threads,
                concurrency=of_conc,
            )
        )
        n_of = len(out.transactions.rows) + len(out.card_transactions.rows)
        _line("open finance: pull", n_of, pw, pc)
        frames, fw, fc = _timed(lambda: {t: b.frame() for t, b in out.batches().items()})
        _line("open finance: bronze frames", n_of, fw, fc)
        _, ww, wc = _timed(lambda: [write_bronze(t, f, s) for t, f in frames.items()])
        _line("open finance: bronze write", n_of, ww, wc)
        of_wall, of_cpu = pw + fw + ww, pc + fc + wc
        _line("open finance: source -> bronze", n_of, of_wall, of_cpu)

        px = pix_app(index, s)
        days = [index.today - timedelta(days=i) for i in range(366)]
        batch = BronzeBatch("bronze.pix_received", "pix")
        _, qw, qc = _timed(
            lambda: run_pool(
                days,
                lambda: PixClient.from_settings(s, app=px),
                lambda c, d: pull_day(c, d, batch),
                threads=pix_threads,
                concurrency=pix_conc,
            )
        )
        n_pix = len(batch.rows)
        _line("pix received: pull", n_pix, qw, qc)
        _, xw, xc = _timed(lambda: write_bronze("bronze.pix_received", batch.frame(), s))
        _line("pix received: bronze frame + write", n_pix, xw, xc)
        pix_wall, pix_cpu = qw + xw, qc + xc
        _line("pix received: source -> bronze", n_pix, pix_wall, pix_cpu)

        total, wall, cpu = n_of + n_pix, of_wall + pix_wall, of_cpu + pix_cpu
        _line("source -> bronze, both", total, wall, cpu)
        rate = total / wall
        print(
            f"source -> bronze: {rate:,.0f} tx/s (goal {GOAL_TX_S:,d}: {'PASS' if rate >= GOAL_TX_S else 'FAIL'}); "
            f"{100_000 * cpu / total:.2f} CPU-s per 100k tx; load average now {os.getloadavg()[0]:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
