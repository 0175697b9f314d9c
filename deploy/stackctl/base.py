"""The server interface of the local stack, and the shared logic of servers we run as detached children.

A server knows its port, log and data folder; it can tell whether it runs (``pid``), start and wait
until a real client call succeeds (``start``), check an already running instance (``check``), create
what the project needs in it (``provision``: databases, buckets) and stop without leaving processes.
"""

from __future__ import annotations

import time
from pathlib import Path

from .proc import (
    StackError,
    alive,
    cmdline,
    find_pids,
    read_pidfile,
    spawn,
    stop_group,
    wait_ready,
    write_pidfile,
)


class Server:
    name: str = "?"
    port: int
    log: Path
    data: Path

    def pid(self) -> int | None:
        raise NotImplementedError

    def running_port(self) -> int | None:
        raise NotImplementedError

    def start(self, timeout: float) -> None:
        raise NotImplementedError

    def check(self) -> None:
        """One readiness probe with a real client; raises if the server does not answer."""
        raise NotImplementedError

    def provision(self) -> None:
        """Create databases/buckets the project expects (idempotent)."""

    def stop(self, timeout: float) -> None:
        raise NotImplementedError

    def state(self) -> dict:
        pid = self.pid()
        return {
            "server": self.name,
            "state": "running" if pid else "stopped",
            "port": (self.running_port() or self.port) if pid else self.port,
            "pid": pid,
            "data": str(self.data),
            "log": str(self.log),
        }


class DetachedServer(Server):
    """A server process we spawn ourselves in its own session, tracked by a JSON pid file."""

    #: text that must appear in the command line of our process (guards against pid reuse)
    program: str = "?"
    stop_timeout: float = 20.0

    def __init__(self, run_dir: Path) -> None:
        self.pidfile = run_dir / f"{self.name}.pid"

    def argv(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str] | None:
        return None

    def marker(self) -> str:
        """Command-line text unique to this stack's instance (its data folder)."""
        return str(self.data)

    def ports_to_check(self) -> dict[str, int]:
        return {f"{self.name} port": self.port}

    def _ours(self, pid: int) -> bool:
        line = " ".join(cmdline(pid))
        return alive(pid) and self.program in line and self.marker() in line

    def pid(self) -> int | None:
        info = read_pidfile(self.pidfile)
        if info and self._ours(int(info["pid"])):
            return int(info["pid"])
        # pid file lost or stale: look for our process by its command line
        found = [p for p in find_pids(self.program, self.marker()) if self._ours(p)]
        return found[0] if found else None

    def running_port(self) -> int | None:
        info = read_pidfile(self.pidfile)
        return int(info["port"]) if info else None

    def prepare(self) -> None:
        """Build or create what must exist before the first start."""

    def start(self, timeout: float) -> None:
        from .proc import require_free

        self.prepare()
        require_free(self.ports_to_check())
        self.data.mkdir(parents=True, exist_ok=True)
        pid = spawn(self.argv(), self.log, env=self.env(), cwd=self.data)
        write_pidfile(self.pidfile, {"pid": pid, "port": self.port, "started": time.time()})
        try:
            wait_ready(self.name, self.check, timeout, self.log, is_alive=lambda: alive(pid))
        except StackError:
            stop_group(pid, self.name, 5.0)
            self.pidfile.unlink(missing_ok=True)
            raise

    def stop(self, timeout: float | None = None) -> None:
        pids = {p for p in [self.pid()] if p} | {
            p for p in find_pids(self.program, self.marker()) if self._ours(p)
        }
        for pid in sorted(pids):
            stop_group(pid, self.name, timeout or self.stop_timeout, self.log)
        self.pidfile.unlink(missing_ok=True)
