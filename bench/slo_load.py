"""Load and SLO test: locust (headless, bounded in time, loopback only) drives a bank app's mix against
the gateway while Prometheus (Debian package) scrapes it every second; the SLO attainment per service
is then read from Prometheus with the objectives of deploy/slo/slos.yaml.

Set-up in a temporary COFRE_HOME (as bench/serving_fraud.py): toy gold tables, Feast, a fraud champion
trained from the lake, so fraud scoring and the PIX fraud screen run the model. The gateway is `uvicorn`
with one worker in its own process; locust runs in another (``COFRE_BENCH_LOAD_USERS`` users,
``COFRE_BENCH_LOAD_SECONDS`` s). Both share the machine's 2 cores with Prometheus.

Attainment over the load window: availability = 1 - 5xx / requests; latency = non-5xx answers within
the objective's threshold / non-5xx answers (the threshold is a histogram bound, so this is exact).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "deploy"))

USERS = int(os.environ.get("COFRE_BENCH_LOAD_USERS", "12"))
SECONDS = int(os.environ.get("COFRE_BENCH_LOAD_SECONDS", "60"))
HTTP = "cofre_http_request_duration_seconds"


def _wait(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")
        time.sleep(0.3)


def _admin_token(base: str, home: str) -> str:
    from bench.serving_fraud import PASSWORD

    email = "bench-admin@example.com"
    r = httpx.post(
        base + "/auth/register",
        json={"cpf": "52998224725", "name": "Admin Carga", "email": email, "password": PASSWORD},
        timeout=30,
    )
    r.raise_for_status()
    with sqlite3.connect(Path(home) / "cofre.db") as db:  # the gateway's embedded database
        db.execute("UPDATE users SET role = 'admin' WHERE email = ?", (email,))
    r = httpx.post(base + "/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]


def attainment(prom, objectives, window_s: int) -> list[dict]:  # noqa: ANN001
    """Per service: requests, availability and latency attainment over the last ``window_s``."""

    def one(expr: str) -> float | None:
        res = prom.query(expr)
        return float(res[0]["value"][1]) if res else None

    rows = []
    by: dict[str, dict] = {}
    for o in objectives:
        if o.slo in ("availability", "latency"):
            by.setdefault(o.service, {})[o.slo] = o
    for service, objs in by.items():
        a, lat = objs["availability"], objs.get("latency")
        sel = f'route=~"{a.routes}"'
        w = f"[{window_s}s]"
        total = one(f"sum(increase({HTTP}_count{{{sel}}}{w}))") or 0.0
        if total < 1:
            continue
        errors = one(f'sum(increase({HTTP}_count{{{sel},status_class="5xx"}}{w}))') or 0.0
        ok = one(f'sum(increase({HTTP}_count{{{sel},status_class!="5xx"}}{w}))') or 0.0
        row = {
            "service": service,
            "requests": total,
            "availability": 1 - errors / total,
            "availability_target": a.target,
        }
        if lat and ok:
            fast = (
                one(
                    f'sum(increase({HTTP}_bucket{{{sel},status_class!="5xx",le="{float(lat.threshold_s)!r}"}}{w}))'
                )
                or 0.0
            )
            row |= {
                "latency": fast / ok,
                "latency_target": lat.target,
                "threshold_s": lat.threshold_s,
                "p99_s": one(
                    f'histogram_quantile(0.99, sum by (le) (increase({HTTP}_bucket{{{sel},status_class!="5xx"}}{w})))'
                ),
            }
        rows.append(row)
    return rows


def table(rows: list[dict], seconds: int, users: int) -> str:
    out = [
        f"SLO attainment under load ({users} locust users, {seconds} s, loopback, 1 uvicorn worker, 2 shared cores)",
        "",
        "| service | requests | availability (target) | latency within objective (target) | p99 | met |",
        "|---|---:|---|---|---:|---|",
    ]
    for r in rows:
        met = r["availability"] * 100 >= r["availability_target"]
        lat = "-"
        p99 = "-"
        if "latency" in r:
            met = met and r["latency"] * 100 >= r["latency_target"]
            lat = f"{r['latency'] * 100:.2f} % within {r['threshold_s'] * 1000:g} ms ({r['latency_target']:g} %)"
            p99 = f"{r['p99_s'] * 1000:.1f} ms" if r.get("p99_s") is not None else "-"
        out.append(
            f"| {r['service']} | {r['requests']:.0f} | {r['availability'] * 100:.2f} % ({r['availability_target']:g} %) "
            f"| {lat} | {p99} | {'yes' if met else 'NO'} |"
        )
    return "\n".join(out)


def main() -> None:
    from opsctl import slo
    from stackctl.monitoring import Alertmanager, AlertWebhook, Prometheus, Targets, Timing

    from bench.serving_fraud import _free_port, _prepare, _start

    with tempfile.TemporaryDirectory(prefix="cofre-slo-load-") as home:
        env, _cpfs = _prepare(home)
        env = {**env, "COFRE_STEPUP_AMOUNT_CENTS": str(10**12), "COFRE_TRACING": "true"}
        port = _free_port()
        stack = Path(home) / "stack"
        objectives = slo.load()[1]
        rules = Path(home) / "slo.rules.yml"
        rules.write_text(slo.render_rules(objectives, slo.Windows(interval="1s")))
        hook = AlertWebhook(stack, _free_port())
        am = Alertmanager(stack, _free_port(), hook.url() + "/alerts", timing=Timing.fast())
        prom = Prometheus(
            stack,
            _free_port(),
            f"127.0.0.1:{am.port}",
            Targets((f"127.0.0.1:{port}",), (), ()),
            (rules,),
            Timing.fast(),
        )
        started = []
        server = _start(env, port)
        try:
            for srv in (hook, am, prom):
                srv.start(60)
                started.append(srv)
            base = f"http://127.0.0.1:{port}"
            _wait(base + "/health")
            token = _admin_token(base, home)
            out = Path(home) / "locust"
            t0 = time.monotonic()
            cmd = [
                sys.executable, "-m", "locust", "-f", str(REPO / "bench" / "locustfile.py"), "--headless",
                "-u", str(USERS), "-r", str(max(1, USERS // 4)), "-t", f"{SECONDS}s", "--host", base,
                "--only-summary", "--csv", str(out), "--exit-code-on-error", "0", "--stop-timeout", "5",
            ]  # fmt: skip
            lenv = {**os.environ, **env, "COFRE_BENCH_ADMIN_TOKEN": token, "PYTHONPATH": str(REPO)}
            subprocess.run(cmd, env=lenv, check=True, timeout=SECONDS + 120, stdout=subprocess.DEVNULL)
            time.sleep(3)  # the last scrape
            window = int(time.monotonic() - t0) + 5
            rows = attainment(prom, objectives, window)
            print(table(rows, SECONDS, USERS), flush=True)
            fired = sorted(
                {
                    a["labels"]["alertname"]
                    for n in hook.alerts()
                    for a in n["payload"]["alerts"]
                    if a["status"] == "firing"
                }
            )
            print(f"\nburn-rate alerts fired during the load: {', '.join(fired) or 'none'}")
        finally:
            server.terminate()
            server.wait(timeout=30)
            for srv in reversed(started):
                srv.stop(20)


if __name__ == "__main__":
    main()
