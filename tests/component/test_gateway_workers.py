"""`cofre serve` with two real worker processes (issue 23, gateway headroom): the per-IP and per-user
rate limits count once across both workers, /metrics of either worker sums both, tokens signed by
one worker verify in the other, and every authenticated request's audit event is in one unbroken
hash chain (nothing lost when both processes append at once)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from ops_kit import free_port
from serving_kit import CHEAP_PASSWORDS

from lake.domain.identifiers import cpf_with_digits
from lake.settings import load_settings
from serving.audit.chain import verify_chain_py
from serving.audit.store import SQLiteAuditStore

LIMIT = 60  # per day: a window no test run straddles but at midnight UTC
GETS = 90
ROOT = Path(__file__).resolve().parents[2]
_SERVE = "from cofre.cli import app; app()"


@pytest.fixture
def two_workers(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "COFRE_HOME": str(tmp_path),
        "COFRE_PROFILE": "embedded",
        "COFRE_GATEWAY_WORKERS": "2",
        "COFRE_RATE_LIMIT": f"{LIMIT}/day",
        "COFRE_TRACING": "false",
        **{f"COFRE_{k.upper()}": str(v) for k, v in CHEAP_PASSWORDS.items()},
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    cmd = [sys.executable, "-c", _SERVE, "serve", "--port", str(port), "--log-format", "text"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        started, seen = 0, []
        assert proc.stderr is not None
        while started < 2:  # each worker logs its start; a blocking read, no polling
            line = proc.stderr.readline()
            assert line, "gateway exited:\n" + "".join(seen)
            seen.append(line)
            started += "Application startup complete" in line
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
        yield base, tmp_path, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)


def _worker_pids(home: Path) -> set[str]:
    """Pids of the workers that recorded request latencies (prometheus_client's per-process files)."""
    return {
        m.group(1)
        for f in (home / "run" / "prometheus").glob("histogram_*.db")
        if (m := re.search(r"_(\d+)\.db$", f.name))
    }


def _request_count(metrics: str) -> int:
    """Requests recorded on the API's routes (/metrics itself aside)."""
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("cofre_http_request_duration_seconds_count{") and 'route="/metrics"' not in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def test_two_workers_share_limits_metrics_keys_and_the_audit_chain(two_workers):
    base, home, proc = two_workers
    user = {"cpf": cpf_with_digits("512345678"), "name": "Ana Workers", "email": "ana@example.com"}
    r = httpx.post(base + "/auth/register", json={**user, "password": "correct horse battery"}, timeout=60)
    assert r.status_code == 201, r.text
    r = httpx.post(
        base + "/auth/login", json={"email": user["email"], "password": "correct horse battery"}, timeout=60
    )
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def one(_i: int) -> int:  # a fresh connection each time, so the kernel spreads them over both workers
        return httpx.get(base + "/accounts/me", headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(one, range(GETS)))
    assert set(codes) <= {200, 429}, codes  # never 401: the token verifies in both workers
    assert len(_worker_pids(home)) == 2, "both workers must have served requests"
    # the per-IP limit counted once for both processes: register + login + the GETs it let through
    assert codes.count(200) == LIMIT - 2, (codes.count(200), codes.count(429))

    metrics = httpx.get(base + "/metrics", timeout=60).text
    assert _request_count(metrics) == GETS + 2, "each request counted once, whichever worker took it"

    proc.terminate()  # a graceful stop: the workers finish what they started, audit appends included
    assert proc.wait(timeout=120) == 0
    settings = load_settings(home=str(home))
    store = SQLiteAuditStore(Path(str(settings.log_store_url).removeprefix("sqlite:///")))
    try:
        events = store.chain()
    finally:
        store.close()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    links = [bytes(e["prev_hash"]) for e in events], [bytes(e["payload_hash"]) for e in events]
    assert verify_chain_py(*links, [bytes(e["hash"]) for e in events]) is None  # no fork, no gap
    gets = [e for e in events if e["action"] == "GET /accounts/me"]
    assert len(gets) == codes.count(200), "one audit event per authenticated answer, none lost"
