"""Benchmark: POST /fraud/score over HTTP (uvicorn on loopback) at a fixed 200 requests/s, the peak rate,
and the per-stage cost of one request.

Set-up in a temporary COFRE_HOME: toy gold Delta tables (:mod:`sandbox.sample_gold`) keyed by the
pseudonymised CPFs of the users the benchmark registers, Feast apply + materialise, the fraud model
trained from the lake through Feast and registered as champion in a temporary MLflow.

The gateway runs as ``cofre serve`` does (uvicorn, uvloop + httptools when installed), first with
ONE worker (``COFRE_GATEWAY_WORKERS=1``: the rate limiter counts in process memory) for the latency
rounds and the peak, then with TWO workers (their limiter shares a SQLite counter file, metrics in
Prometheus multiprocess mode) for the peak alone: the scaling with cores. Embedded stores are local files, so the request path runs on the
event loop with no thread-pool hop (``Services.run_io``). The load generator is an aiohttp client
(keep-alive pool, requests pre-serialised) on uvloop in this process (its set-up heap frozen out of the
GC); both share the machine's 2 cores.

* open loop: one request scheduled every 1/200 s for ``SECONDS`` s, ``ROUNDS`` times; each latency
  is measured from the request's SCHEDULED send time to the end of its response body, so queueing
  in the client, the kernel and the server all count;
* the same at half the rate (one round, for reference: latency when the server is not saturated);
* peak: a closed loop of ``PEAK_CLIENTS`` concurrent clients for ``PEAK_SECONDS`` s, 1 and 2 workers;
* CPU per request: an open loop at ``CPU_RATE`` (below saturation, before the 200 rps rounds so no
  backlog of them is charged to it) on /fraud/score and, in the same run and the same way, on a bare
  uvicorn + FastAPI app (one async route): the per-request CPU of /fraud/score reads as a ratio to
  that floor, which survives a busy machine;
* per stage: after the HTTP runs (server stopped), the request's stages timed in this process on the
  same data (median of many calls), with the frame/polars/scikit-learn paths they replaced.

Each request = auth (ES256 JWT, verified-token cache, + session check) + per-IP and per-user rate
limits + DB lookups (user, transfer history, device, last login) + online fraud_v1 features from
Feast's online store (4 views + the on-demand view, :func:`features.online.online_row`) + HGB with
reasons + the decision's hash-chained audit event (written before the answer) + the request's audit
event. Peer: Feast's published Python feature-server p99 of 7.2 ms, for features alone.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.timing import median_ms

if TYPE_CHECKING:
    import polars as pl
    from fastapi import FastAPI

    from lake.settings import Settings

FEAST_P99_MS = 7.2
GOAL_P99_MS = 10.0
GOAL_CPU_RATIO = 3.0  # server CPU per fraud score / per bare FastAPI request
GOAL_WORKER_SCALING = 1.6  # peak rps with 2 workers / with 1
RATE = 200
SECONDS = 10
ROUNDS = 3
PEAK_CLIENTS = 16
CPU_RATE = 100  # requests/s of the CPU-per-request loops (fraud score and floor)
CPU_SECONDS = 5
PEAK_SECONDS = 5
N_USERS = 20
PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def _settings(home: str) -> Settings:
    from lake.settings import load_settings

    return load_settings(home=home, rate_limit="10000000/minute", feast_project="bench_fraud")


def _prepare(home: str) -> tuple[dict, list[str]]:
    import polars as pl

    from features.materialize import apply_and_materialize
    from lake import delta
    from lake.domain.identifiers import cpf_with_digits
    from lake.pseudonym import pseudonymise_one
    from models.from_lake import train_fraud
    from sandbox import sample_gold as sg

    env = {
        "COFRE_HOME": home,
        "COFRE_RATE_LIMIT": "10000000/minute",
        "COFRE_FEAST_PROJECT": "bench_fraud",
        "COFRE_PROFILE": "embedded",
    }
    s = _settings(home)
    cpfs = [cpf_with_digits(f"{300_000_001 + i:09d}") for i in range(N_USERS)]
    key = s.pseudonym_key_bytes()
    mapping = {sg.customer_pk(i): pseudonymise_one(c, "cpf", key=key) for i, c in enumerate(cpfs)}
    tx = sg.transaction_rows(np.random.default_rng(3), N_USERS, 40).with_columns(
        channel=pl.lit("PIX"), type=pl.lit("PIX"), credit_debit_type=pl.lit("DEBITO")
    )
    remap = pl.col("customer_pk").replace_strict(mapping)
    delta.append("gold.transaction_features", tx.with_columns(remap), s)
    delta.append("gold.counterparty_pairs", sg.counterparty_pairs(tx).with_columns(remap), s)
    days = [(sg.T0 - timedelta(days=k)).date() for k in range(3, 0, -1)]
    delta.append("gold.customer_day", sg.customer_days(N_USERS, days).with_columns(remap), s)
    apply_and_materialize(s, end=sg.T0 + timedelta(days=1), progress=lambda _m: None)
    run = train_fraud(s, show_progress=False)
    print(f"set-up: fraud champion v{run.run.version} trained on {run.rows} rows from the lake", flush=True)
    return env, cpfs


def _start(env: dict, port: int, workers: int = 1) -> subprocess.Popen:
    """`cofre serve` with ``workers`` processes (COFRE_GATEWAY_WORKERS), as production runs it."""
    cmd = [
        sys.executable,
        "-c",
        "from cofre.cli import app; app()",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--log-format",
        "text",
    ]
    return subprocess.Popen(
        cmd, env={**os.environ, **env, "COFRE_GATEWAY_WORKERS": str(workers), "OMP_NUM_THREADS": "1"}
    )


def floor_app() -> FastAPI:
    """A bare FastAPI app (one async route): the machine's per-request floor for uvicorn + FastAPI."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict:
        return {"ok": True}

    return app


async def _floor(base: str, server_pid: int) -> float:
    """Server CPU ms per request of :func:`floor_app`, measured as :func:`_open_cpu` measures ours."""
    import aiohttp

    async with aiohttp.ClientSession(base_url=base) as c:
        for _ in range(600):
            try:
                async with c.get("/ping") as r:
                    await r.read()
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.2)

        async def req(_i: int) -> bool:
            async with c.get("/ping") as r:
                await r.read()
                return r.status == 200

        for i in range(200):
            await req(i)
        return await _open_cpu(req, server_pid)


async def _open_cpu(req: Callable[[int], Awaitable[bool]], server_pid: int) -> float:
    """Server CPU ms per request in an open loop of CPU_RATE requests/s for CPU_SECONDS s: the same
    arrival pattern for /fraud/score and the floor (per-request CPU depends on it: at a low rate each
    request costs its own wake-ups, under concurrency the server batches them)."""
    n = int(CPU_RATE * CPU_SECONDS)
    cpu0, t0, tasks = _cpu_seconds(server_pid), time.perf_counter(), []
    for i in range(n):
        delay = t0 + i / CPU_RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(req(i)))
    await asyncio.gather(*tasks)
    cpu1 = _cpu_seconds(server_pid)
    return (cpu1 - cpu0) * 1000 / n if cpu0 is not None and cpu1 is not None else float("nan")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _bodies(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [
        {"amount_cents": int(rng.integers(1_000, 900_000)), "counterparty_key": f"k{i % 50}@example.com"}
        for i in range(n)
    ]


def _percentiles(lat: list[float]) -> dict[str, float]:
    return {f"p{q}": float(np.percentile(lat, q)) for q in (50, 95, 99)}


async def _run(base: str, cpfs: list[str], server_pid: int) -> dict:
    import aiohttp

    conn = aiohttp.TCPConnector(limit=256, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url=base, connector=conn, timeout=timeout) as c:
        await _wait_ready(c)
        tokens = []
        for i, cpf in enumerate(cpfs):
            email = f"bench{i}@example.com"
            async with c.post(
                "/auth/register", json={"cpf": cpf, "name": "Bench", "email": email, "password": PASSWORD}
            ) as r:
                await r.read()
            async with c.post("/auth/login", json={"email": email, "password": PASSWORD}) as r:
                tokens.append((await r.json())["access_token"])
        print(f"{len(tokens)} users logged in", flush=True)
        async with c.get("/ready") as r:
            ready = (await r.json())["checks"]["models"]
        assert ready["fraud"].startswith("champion"), ready

        n_open = RATE * SECONDS
        prepared = _prepared(tokens, max(n_open, 4096))
        decisions: dict[str, int] = {}

        async def req(i: int) -> bool:
            body, headers = prepared[i % len(prepared)]
            async with c.post("/fraud/score", data=body, headers=headers) as r:
                payload = await r.read()
                if r.status != 200:
                    return False
            d = json.loads(payload)["decision"]
            decisions[d] = decisions.get(d, 0) + 1
            return True

        for i in range(200):  # warm-up
            assert await req(i), "warm-up request failed"
        cpu_ms = await _open_cpu(req, server_pid)
        print(f"server CPU per request ({CPU_RATE} rps x {CPU_SECONDS} s): {cpu_ms:.2f} ms", flush=True)
        peak = await _peak(req)  # a closed loop too: it leaves no backlog to the open loops
        decisions.clear()
        print(f"warmed up; open loop {RATE} rps x {SECONDS} s x {ROUNDS} ...", flush=True)

        async def one(i: int, at: float, lat: list[float], errors: list[int]) -> None:
            try:
                ok = await req(i)
            except (TimeoutError, aiohttp.ClientError):
                ok = False
            lat.append((time.perf_counter() - at) * 1000)
            errors.append(int(not ok))

        async def open_loop(rate: float, first: int, label: str) -> dict:
            """One request every 1/rate s for SECONDS s; latency from each scheduled send time."""
            n = int(rate * SECONDS)
            lat: list[float] = []
            errs: list[int] = []
            cpu0 = _cpu_seconds(server_pid)
            t0 = time.perf_counter() + 0.05
            tasks = []
            for i in range(n):
                at = t0 + i / rate
                delay = at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(first + i, at, lat, errs)))
            await asyncio.gather(*tasks)
            cpu1 = _cpu_seconds(server_pid)
            cpu_ms = (cpu1 - cpu0) * 1000 / n if cpu0 is not None and cpu1 is not None else float("nan")
            out = {"lat": lat, "errors": sum(errs), "cpu_ms": cpu_ms, **_percentiles(lat)}
            print(
                f"  {label}: p50 {out['p50']:.2f} ms  p99 {out['p99']:.2f} ms  {out['errors']} non-200  "
                f"server CPU {cpu_ms:.2f} ms/request",
                flush=True,
            )
            return out

        rounds = [await open_loop(RATE, rnd * n_open, f"{RATE} rps round {rnd + 1}") for rnd in range(ROUNDS)]
        open_decisions = dict(decisions)
        half = await open_loop(RATE / 2, ROUNDS * n_open, f"{RATE // 2} rps (half the goal's rate)")

    all_lat = [x for r in rounds for x in r["lat"]]
    return {
        "rounds": rounds,
        "half": half,
        "n": len(all_lat),
        "errors": sum(r["errors"] for r in rounds),
        "peak_rps": peak,
        "cpu_ms": cpu_ms,
        "decisions": open_decisions,
        **_percentiles(all_lat),
    }


async def _peak(req: Callable[[int], Awaitable[bool]]) -> float:
    """Answered requests/s of a closed loop of PEAK_CLIENTS concurrent clients for PEAK_SECONDS s."""
    import aiohttp

    print(f"peak: {PEAK_CLIENTS} concurrent clients, closed loop, {PEAK_SECONDS} s ...", flush=True)
    done = 0
    stop = time.perf_counter() + PEAK_SECONDS

    async def worker(w: int) -> None:
        nonlocal done
        i = w
        while time.perf_counter() < stop:
            try:  # a pooled connection the server closed (keep-alive timeout) fails once: not counted
                done += bool(await req(i))
            except (TimeoutError, aiohttp.ClientError):
                pass
            i += PEAK_CLIENTS

    t1 = time.perf_counter()
    await asyncio.gather(*[worker(w) for w in range(PEAK_CLIENTS)])
    return done / (time.perf_counter() - t1)


async def _peak_run(base: str, cpfs: list[str]) -> float:
    """Peak rps of an already set-up gateway (the users registered by :func:`_run` log in again)."""
    import aiohttp

    conn = aiohttp.TCPConnector(limit=256, keepalive_timeout=60)
    async with aiohttp.ClientSession(base_url=base, connector=conn) as c:
        await _wait_ready(c)
        tokens = []
        for i in range(len(cpfs)):
            async with c.post(
                "/auth/login", json={"email": f"bench{i}@example.com", "password": PASSWORD}
            ) as r:
                tokens.append((await r.json())["access_token"])
        prepared = _prepared(tokens, 4096)

        async def req(i: int) -> bool:
            body, headers = prepared[i % len(prepared)]
            async with c.post("/fraud/score", data=body, headers=headers) as r:
                await r.read()
                return r.status == 200

        for i in range(400):  # warm-up (both workers)
            assert await req(i), "warm-up request failed"
        return await _peak(req)


async def _wait_ready(c: Any) -> None:
    import aiohttp

    for _ in range(1200):
        try:
            async with c.get("/ready") as r:
                if r.status in (200, 503):
                    return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.5)
    raise RuntimeError("gateway did not start")


def _prepared(tokens: list[str], n: int) -> list[tuple[bytes, dict[str, str]]]:
    """The same request content as ever (amount, counterparty key, token, device), serialised up front."""
    return [
        (
            json.dumps(b).encode(),
            {
                "Authorization": f"Bearer {tokens[i % len(tokens)]}",
                "X-Device-ID": f"dev{i % 7}",
                "Content-Type": "application/json",
            },
        )
        for i, b in enumerate(_bodies(n))
    ]


def _stages(home: str) -> list[tuple[str, float, str]]:
    """(stage, median ms, note) for the stages of one request, in this process, server stopped."""
    from datetime import UTC, datetime

    import pandas as pd
    import polars as pl
    from sqlalchemy import select

    from features.online import online_features
    from lake.pseudonym import pseudonymise
    from models import registry
    from models.fraud.model import assemble
    from models.runtime import predict_threads
    from serving.audit.store import make_event
    from serving.db.orm import Session as LoginSession
    from serving.db.orm import User
    from serving.deps import session_state
    from serving.fraud.context import build_context
    from serving.scoring import core
    from serving.security.tokens import ACR_BASIC
    from serving.services import build_services

    s = _settings(home)
    svc = build_services(s)
    model = registry.load_champion("fraud", s)
    with svc.sessions() as db:
        uid, cpf = db.execute(select(User.id, User.cpf).order_by(User.id)).first()
        sid = db.execute(select(LoginSession.id).where(LoginSession.user_id == uid)).scalars().first()
    token = svc.tokens.issue(
        user_id=uid, role="customer", session_id=sid, ttl_s=3600, amr=["pwd"], acr=ACR_BASIC
    )
    at = datetime.now(UTC)
    bodies = _bodies(64)
    key = s.pseudonym_key_bytes()

    def lookups() -> (
        object
    ):  # as on the request path: session check, then the scoring lookups in one connection
        with svc.read_connections() as db:
            session_state(db, sid, uid)
        with svc.read_connections() as db:
            core.user_facts_in(db, uid, at)
            return build_context(
                db,
                user_id=uid,
                amount_cents=50_000,
                recipient_key="k1@example.com",
                recipient_internal=False,
                device_id="dev1",
                at=at,
            )

    cust, cp = core.customer_pk(s, cpf), core.counterparty_pk(s, "k1@example.com")
    rows = [
        core.fraud_features(
            s,
            customer=cust,
            counterparty=core.counterparty_pk(s, b["counterparty_key"]),
            amount_cents=b["amount_cents"],
            at=at,
            is_new_device=i % 2 == 0,
            last_login_at=None,
            last_device_change_at=None,
            channel="PIX",
            type_="PIX",
        )
        for i, b in enumerate(bodies)
    ]
    it = iter(range(10**9))

    def row() -> dict[str, Any]:
        return rows[next(it) % len(rows)]

    def sklearn_frame_path() -> None:
        r = row()
        X, _ = assemble(pd.DataFrame([r]))
        with predict_threads(1):
            p = model.clf.predict_proba(X)[:, 1]
        if (
            model.decide(p, r["amount_cents"])[0] != "approve"
        ):  # reasons: 1 + n_features rows through scikit-learn
            d = X.shape[1]
            batch = np.repeat(X, d + 1, axis=0)
            batch[np.arange(d) + 1, np.arange(d)] = model.reference
            with predict_threads(len(batch)):
                model.clf.predict_proba(batch)

    def audit() -> None:
        svc.audit.append(
            make_event(
                actor=svc.pseudonym(uid),
                action="decision:fraud_score",
                resource=None,
                outcome="review",
                model_version="bench",
                request_id="bench",
                details={"probability": 0.5, "reasons": ["x"], "amount_cents": 1},
            )
        )

    def pseudonyms() -> tuple[str, str]:
        return core.customer_pk(s, cpf), core.counterparty_pk(s, "k1@x.com")

    def pseudonyms_polars() -> tuple[pl.Series, pl.Series]:
        return (
            pseudonymise(pl.Series([cpf]), "cpf", key=key),
            pseudonymise(pl.Series(["k1@x.com"]), "pix_key", key=key),
        )

    def features() -> dict[str, Any]:
        return core.fraud_features(
            s,
            customer=cust,
            counterparty=cp,
            amount_cents=50_000,
            at=at,
            is_new_device=True,
            last_login_at=None,
            last_device_change_at=None,
            channel="PIX",
            type_="PIX",
        )

    def features_feast() -> dict[
        str, list[Any]
    ]:  # Feast's get_online_features, which online_row replaced on the request path
        return online_features(
            "fraud_v1",
            [{"customer_pk": cust, "counterparty_pk": cp}],
            {"amount_cents": 50_000, "request_ts": at, "last_login_at": None, "last_device_change_at": None},
            settings=s,
        )

    def jwt_full() -> object:
        return svc.tokens._verify_fully(token)

    mix = {
        d: sum(1 for r in rows if model.score_row(r)["decision"] == d) for d in ("approve", "review", "block")
    }
    out = [
        (
            "JWT verify (ES256, verified-token cache hit)",
            median_ms(lambda: svc.tokens.verify(token)),
            f"full ES256 verification: {median_ms(jwt_full):.3f} ms",
        ),
        (
            "rate limit x2 (in-process)",
            median_ms(lambda: (svc.limiter.check("ip", "b"), svc.limiter.check("user", "b"))),
            "",
        ),
        ("DB lookups (3 statements, 2 read connections)", median_ms(lookups), ""),
        (
            "pseudonymise CPF + PIX key",
            median_ms(pseudonyms),
            f"polars path: {median_ms(pseudonyms_polars):.3f} ms",
        ),
        (
            "online features fraud_v1 (+ on-demand), online_row",
            median_ms(features),
            f"Feast get_online_features: {median_ms(features_feast):.3f} ms",
        ),
        (
            "model: features + HGB + reasons",
            median_ms(lambda: model.score_row(row())),
            f"frame + scikit-learn path: {median_ms(sklearn_frame_path):.3f} ms; decisions {mix}",
        ),
        ("audit append (hash chain, SQLite)", median_ms(audit, 200), ""),
    ]
    svc.close()
    return out


def main() -> None:
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-fraud-") as home:
        env, cpfs = _prepare(home)
        # the set-up left a large heap here (polars, Feast, MLflow): keep the load generator's garbage
        # collections from scanning it, so GC pauses in the client do not pose as server latency
        gc.collect()
        gc.freeze()
        port = _free_port()
        proc = _start(env, port)
        print(f"gateway starting on 127.0.0.1:{port} (pid {proc.pid})", flush=True)
        try:
            try:
                import uvloop

                runner = uvloop.run
            except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop
                runner = asyncio.run
            res = runner(_run(f"http://127.0.0.1:{port}", cpfs, proc.pid))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        port = _free_port()
        proc = _start(env, port, workers=2)
        print(f"gateway with 2 workers on 127.0.0.1:{port}", flush=True)
        try:
            peak2 = runner(_peak_run(f"http://127.0.0.1:{port}", cpfs))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        port = _free_port()
        floor_proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "bench.serving_fraud:floor_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--log-level",
                "warning",
                "--no-access-log",
            ]
        )
        try:
            floor_ms = runner(_floor(f"http://127.0.0.1:{port}", floor_proc.pid))
        finally:
            floor_proc.terminate()
            floor_proc.wait(timeout=30)
        load1 = os.getloadavg()
        stages = _stages(home)
    ok = res["p99"] <= GOAL_P99_MS and res["errors"] == 0
    print()
    print(
        f"POST /fraud/score over HTTP, uvicorn 1 worker (uvloop, httptools) + aiohttp load generator on "
        f"{os.cpu_count()} shared cores; load average {load0[0]:.2f} before, {load1[0]:.2f} after"
    )
    print(
        f"  open loop {RATE} rps x {SECONDS} s x {ROUNDS} ({res['n']} requests, {res['errors']} non-200, "
        f"decisions {res['decisions']}), latency from the scheduled send time:"
    )
    per_round = ", ".join(f"{r['p99']:.2f}" for r in res["rounds"])
    print(
        f"    p50 {res['p50']:.2f} ms   p95 {res['p95']:.2f} ms   p99 {res['p99']:.2f} ms   "
        f"(p99 per round: {per_round})"
    )
    print(f"    goal p99 <= {GOAL_P99_MS:.0f} ms at {RATE} rps: {'PASS' if ok else 'FAIL'}")
    cpu = res["cpu_ms"]
    print(
        f"    server CPU per request ({CPU_RATE} rps x {CPU_SECONDS} s, before the rounds): {cpu:.2f} ms = {cpu / floor_ms:.1f}x a bare uvicorn + FastAPI request "
        f"measured now on this machine ({floor_ms:.2f} ms); goal <= {GOAL_CPU_RATIO:.0f}x: "
        f"{'PASS' if cpu / floor_ms <= GOAL_CPU_RATIO else 'FAIL'}"
    )
    h = res["half"]
    print(
        f"  open loop {RATE // 2} rps x {SECONDS} s (for reference): p50 {h['p50']:.2f} ms   p95 {h['p95']:.2f} ms   "
        f"p99 {h['p99']:.2f} ms   ({h['errors']} non-200)"
    )
    print(
        f"  peak ({PEAK_CLIENTS} concurrent clients, closed loop): {res['peak_rps']:.0f} rps with 1 worker, "
        f"{peak2:.0f} rps with 2 workers = {peak2 / res['peak_rps']:.2f}x (goal >= {GOAL_WORKER_SCALING}x; "
        f"the load generator shares the {os.cpu_count()} cores)"
    )
    print(
        f"  vs Feast Python feature server p99 {FEAST_P99_MS} ms for features alone: p99 ratio "
        f"{res['p99'] / FEAST_P99_MS:.2f}x (ours includes auth, rate limits, DB, features, model, reasons, audit)"
    )
    print("  per stage, in-process, median:")
    for name, ms, note in stages:
        print(f"    {name:44s} {ms:7.3f} ms" + (f"   ({note})" if note else ""))


if __name__ == "__main__":
    main()
