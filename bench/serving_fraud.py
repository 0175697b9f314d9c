"""Benchmark: POST /fraud/score over HTTP (uvicorn on loopback) at a fixed 200 requests/s, then the peak rate.

Set-up in a temporary COFRE_HOME: toy gold Delta tables (:mod:`features.sample_gold`) keyed by the
pseudonymised CPFs of the users the benchmark registers, Feast apply + materialise, the fraud model
trained from the lake through Feast and registered as champion in a temporary MLflow. The gateway
runs in its own process (uvicorn, one worker), the load generator is an httpx async client in this
process: a closed loop with 16 concurrent clients for the peak rate, then an open loop scheduling one
request every 5 ms (latency measured from the scheduled send time, so queueing counts).
Both share the machine's 2 cores. Each request = auth (JWT + session check) + rate limit + DB lookups
(device history, last login) + Feast online fraud_v1 (4 views + on-demand view) + HGB + reasons + audit.

Peer: Feast's published Python feature-server p99 of 7.2 ms, for features alone.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import numpy as np

FEAST_P99_MS = 7.2
RATE = 200
SECONDS = 10
N_USERS = 20


def _free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def _prepare(home: str) -> tuple[dict, list[str]]:
    import polars as pl

    from features import sample_gold as sg
    from features.materialize import apply_and_materialize
    from lake import delta
    from lake.domain.identifiers import cpf_with_digits
    from lake.pseudonym import pseudonymise_one
    from lake.settings import load_settings
    from models.from_lake import train_fraud

    env = {"COFRE_HOME": home, "COFRE_RATE_LIMIT": "10000000/minute", "COFRE_FEAST_PROJECT": "bench_fraud",
           "COFRE_PROFILE": "embedded"}
    s = load_settings(home=home, rate_limit=env["COFRE_RATE_LIMIT"], feast_project="bench_fraud")
    cpfs = [cpf_with_digits(f"{300_000_001 + i:09d}") for i in range(N_USERS)]
    key = s.pseudonym_key.get_secret_value().encode()
    mapping = {sg.customer_pk(i): pseudonymise_one(c, "cpf", key=key) for i, c in enumerate(cpfs)}
    tx = sg.transaction_rows(np.random.default_rng(3), N_USERS, 40).with_columns(
        channel=pl.lit("PIX"), type=pl.lit("PIX"), credit_debit_type=pl.lit("DEBITO"))
    remap = pl.col("customer_pk").replace_strict(mapping)
    delta.append("gold.transaction_features", tx.with_columns(remap), s)
    delta.append("gold.counterparty_pairs", sg.counterparty_pairs(tx).with_columns(remap), s)
    days = [(sg.T0 - timedelta(days=k)).date() for k in range(3, 0, -1)]
    delta.append("gold.customer_day", sg.customer_days(N_USERS, days).with_columns(remap), s)
    apply_and_materialize(s, end=sg.T0 + timedelta(days=1), progress=lambda _m: None)
    run = train_fraud(s, show_progress=False)
    print(f"set-up: fraud champion v{run.run.version} trained on {run.rows} rows from the lake", flush=True)
    return env, cpfs


def _start(env: dict, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "serving.app:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(cmd, env={**os.environ, **env, "OMP_NUM_THREADS": "1"})


async def _run(base: str, cpfs: list[str]) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=512, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(120, pool=None), limits=limits) as c:
        for _ in range(600):
            try:
                if (await c.get("/ready")).status_code in (200, 503):
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.5)
        tokens = []
        for i, cpf in enumerate(cpfs):
            email = f"bench{i}@example.com"
            await c.post("/auth/register", json={"cpf": cpf, "name": "Bench", "email": email,
                                                 "password": "correct horse battery"})
            r = await c.post("/auth/login", json={"email": email, "password": "correct horse battery"})
            tokens.append(r.json()["access_token"])
        print(f"{len(tokens)} users logged in", flush=True)
        ready = (await c.get("/ready")).json()["checks"]["models"]
        assert ready["fraud"].startswith("champion"), ready
        rng = np.random.default_rng(0)

        def req(i: int):
            h = {"Authorization": f"Bearer {tokens[i % len(tokens)]}", "X-Device-ID": f"dev{i % 7}"}
            body = {"amount_cents": int(rng.integers(1_000, 900_000)), "counterparty_key": f"k{i % 50}@example.com"}
            return c.post("/fraud/score", json=body, headers=h)

        for i in range(100):  # warm-up
            r = await req(i)
            assert r.status_code == 200, r.text
        print("warmed up; open loop ...", flush=True)
        done = 0
        stop = time.perf_counter() + 5

        async def worker(w: int):
            nonlocal done
            i = w
            while time.perf_counter() < stop:
                await req(i)
                done += 1
                i += 16

        t1 = time.perf_counter()
        await asyncio.gather(*[worker(w) for w in range(16)])
        peak = done / (time.perf_counter() - t1)
        print(f"peak {peak:.0f} rps; open loop at {RATE} rps ...", flush=True)
        lat: list[float] = []
        errors = 0
        t0 = time.perf_counter()

        async def one(i: int, at: float):
            nonlocal errors
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            try:
                ok = (await req(i)).status_code == 200
            except httpx.HTTPError:
                ok = False
            lat.append((time.perf_counter() - at) * 1000)
            errors += not ok

        n = RATE * SECONDS
        await asyncio.gather(*[one(i, t0 + 1 + i / RATE) for i in range(n)])
        fixed = {"p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99)), "errors": errors, "n": n}
        fixed["peak_rps"] = peak
        return fixed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-fraud-") as home:
        env, cpfs = _prepare(home)
        port = _free_port()
        proc = _start(env, port)
        print(f"gateway starting on 127.0.0.1:{port} (pid {proc.pid})", flush=True)
        try:
            res = asyncio.run(_run(f"http://127.0.0.1:{port}", cpfs))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"POST /fraud/score over HTTP, {RATE} rps x {SECONDS} s open loop ({res['n']} requests, "
          f"{res['errors']} non-200), uvicorn 1 worker + load generator on {os.cpu_count()} cores")
    print(f"  p50 {res['p50']:.2f} ms   p99 {res['p99']:.2f} ms   (goal p99 <= 10 ms)")
    print(f"  peak (16 concurrent clients, closed loop): {res['peak_rps']:.0f} rps")
    print(f"  vs Feast Python feature server p99 {FEAST_P99_MS} ms for features alone: "
          f"p99 ratio {res['p99'] / FEAST_P99_MS:.2f}x (ours includes auth, DB, model, reasons, audit)")


if __name__ == "__main__":
    main()
