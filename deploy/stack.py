"""Start, stop and show cofre's local stack of real servers on 127.0.0.1 (``deploy/stack.sh`` runs this).

``up`` starts PostgreSQL 15, FerretDB, SeaweedFS S3 and the monitoring (the alert webhook receiver,
Alertmanager, Prometheus with the SLO rules loaded) (each only if not already running), waits until a
real client call succeeds on each, creates the databases and buckets, and prints how long each took.
``down`` stops them and checks that no process is left. ``status`` prints state/port/pid per server
(``status --json`` for scripts). Ports, keys, bucket names, COFRE_HOME and the readiness timeout come from
lake.settings (profile "stack"); data lives under ``$COFRE_HOME/stack``, logs in ``$COFRE_HOME/stack/logs``.

The stack profile refuses to run without an explicit installation secret: ``up`` creates
``$COFRE_HOME/stack/secrets.env`` once (mode 0600, a random ``COFRE_SECRET_KEY``) and ``env`` prints
it as ``export`` lines (``eval "$(bash deploy/stack.sh env)"``), which ``deploy/run-tests.sh`` does.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shlex
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from stackctl.base import Server
from stackctl.ferretdb import FerretDB
from stackctl.monitoring import Alertmanager, AlertWebhook, Prometheus, Targets
from stackctl.postgres import Postgres
from stackctl.proc import StackError, tail
from stackctl.seaweedfs import SeaweedFS

from lake import installation_keys
from lake.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent


def servers(s: Settings) -> list[Server]:
    stack = s.home / "stack"
    return [
        Postgres(stack, s.stack_pg_port),
        FerretDB(s.home, stack, s.stack_mongo_port, REPO / "deploy" / "ferretdb"),
        SeaweedFS(
            stack,
            s.stack_s3_port,
            Path(sys.executable).parent / "weed",
            s.s3_access_key,
            s.s3_secret_key.get_secret_value(),
            s.s3_region,
            (s.s3_lake_bucket, s.s3_documents_bucket, s.s3_mlflow_bucket),
        ),
        *monitoring(s),
    ]


def _hosts(value: str) -> tuple[str, ...]:
    return tuple(h.strip() for h in value.split(",") if h.strip())


def monitoring(s: Settings) -> list[Server]:
    stack = s.home / "stack"
    webhook = AlertWebhook(stack, s.stack_alert_webhook_port)
    alertmanager = Alertmanager(stack, s.stack_alertmanager_port, webhook.url() + "/alerts")
    targets = Targets(
        gateway=_hosts(s.stack_scrape_gateway),
        exporter=_hosts(s.stack_scrape_exporter),
        sandboxes=_hosts(s.stack_scrape_sandboxes),
    )
    prometheus = Prometheus(stack, s.stack_prometheus_port, f"127.0.0.1:{s.stack_alertmanager_port}", targets)
    return [webhook, alertmanager, prometheus]


@contextmanager
def locked(stack: Path):
    """One up/down at a time per COFRE_HOME."""
    stack.mkdir(parents=True, exist_ok=True)
    with open(stack / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def fail(exc: StackError) -> int:
    print(f"\nstack: ERROR: {exc}", file=sys.stderr)
    if exc.log is not None:
        print(f"---- last lines of {exc.log} ----", file=sys.stderr)
        print(tail(exc.log), file=sys.stderr)
    print("(servers already up are left running; `make stack-down` stops them)", file=sys.stderr)
    return 1


def secrets_file(s: Settings) -> Path:
    """``$COFRE_HOME/stack/secrets.env``: the stack's COFRE_SECRET_KEY, created once (0600, atomic)."""
    path = s.home / "stack" / "secrets.env"
    path.parent.mkdir(parents=True, exist_ok=True)  # the servers' folder: its mode stays the default
    if not path.exists():
        line = f"COFRE_SECRET_KEY={os.urandom(32).hex()}\n"
        installation_keys.create_private_file(path, line.encode())
    return path


def secrets_env(s: Settings) -> dict[str, str]:
    path = secrets_file(s)
    st = path.stat()
    if st.st_mode & 0o077:
        raise StackError(f"{path} is accessible to other users: chmod 600 it")
    out = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.startswith("COFRE_"):
            out[name] = value
    return out


def env(s: Settings) -> int:
    try:
        values = secrets_env(s)
    except StackError as exc:
        return fail(exc)
    for name, value in sorted(values.items()):
        print(f"export {name}={shlex.quote(value)}")
    return 0


def up(s: Settings) -> int:
    t_all = time.monotonic()
    with locked(s.home / "stack"):
        print(f"{'secrets':10} {secrets_file(s)} (COFRE_SECRET_KEY of the stack profile; `stack.sh env`)")
        for srv in servers(s):
            t0 = time.monotonic()
            try:
                pid = srv.pid()
                if pid is not None:
                    port = srv.running_port()
                    if port is not None and port != srv.port:
                        raise StackError(
                            f"{srv.name} already runs on port {port} (pid {pid}) but the settings ask for "
                            f"{srv.port}: run `make stack-down` first"
                        )
                    srv.check()
                    srv.provision()
                    print(f"{srv.name:10} already running  127.0.0.1:{srv.port}  pid {pid}")
                    continue
                srv.start(s.stack_start_timeout_s)
                srv.provision()
            except StackError as exc:
                return fail(exc)
            except Exception as exc:  # noqa: BLE001 - a readiness/provision call failed: say which server
                return fail(StackError(f"{srv.name}: {type(exc).__name__}: {exc}", getattr(srv, "log", None)))
            print(
                f"{srv.name:10} started in {time.monotonic() - t0:5.1f} s  127.0.0.1:{srv.port}  pid {srv.pid()}"
            )
    print(f"stack up in {time.monotonic() - t_all:.1f} s (data in {s.home / 'stack'})")
    return 0


def down(s: Settings) -> int:
    rc = 0
    with locked(s.home / "stack"):
        for srv in reversed(servers(s)):
            pid = srv.pid()
            if pid is None:
                print(f"{srv.name:10} not running")
                continue
            t0 = time.monotonic()
            try:
                srv.stop(s.stack_start_timeout_s)
            except StackError as exc:
                rc = fail(exc)
                continue
            left = srv.pid()
            if left is not None:
                rc = fail(
                    StackError(f"{srv.name}: pid {left} still running after stop", getattr(srv, "log", None))
                )
                continue
            print(f"{srv.name:10} stopped in {time.monotonic() - t0:4.1f} s (was pid {pid})")
    return rc


def status(s: Settings, as_json: bool) -> int:
    rows = [srv.state() for srv in servers(s)]
    if as_json:
        print(json.dumps(rows))
        return 0
    print(f"{'server':10} {'state':8} {'port':>6} {'pid':>8}  data")
    for r in rows:
        print(f"{r['server']:10} {r['state']:8} {r['port']:>6} {r['pid'] or '-':>8}  {r['data']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy/stack.sh", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "down", "status", "env"))
    parser.add_argument("--json", action="store_true", help="status as JSON")
    args = parser.parse_args(argv)
    s = load_settings(profile="stack")
    if args.command == "up":
        return up(s)
    if args.command == "down":
        return down(s)
    if args.command == "env":
        return env(s)
    return status(s, args.json)


if __name__ == "__main__":
    sys.exit(main())
