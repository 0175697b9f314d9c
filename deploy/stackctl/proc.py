"""Process plumbing for the local stack: pid files, liveness, process-group stop, port probes, log tails.

Servers started here run in a session of their own (``setsid``), so a stop signals the whole process
group and waits until no live member is left. Zombies (already dead, waiting for a reaper) count as gone.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")


class StackError(RuntimeError):
    """A server failed to start, to become ready, or to stop; ``log`` names its log file."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
    return raw[raw.rindex(")") + 2 :].split()


def alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def cmdline(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _all_pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def find_pids(*markers: str) -> list[int]:
    """Live processes whose command line holds every marker (used when a pid file is lost)."""
    me = os.getpid()
    found = []
    for pid in _all_pids():
        if pid == me:
            continue
        line = " ".join(cmdline(pid))
        if line and all(m in line for m in markers) and alive(pid):
            found.append(pid)
    return sorted(found)


def children(pid: int) -> list[int]:
    """Live direct children of ``pid``."""
    kids = []
    for other in _all_pids():
        fields = _stat_fields(other)
        if fields and fields[0] not in ("Z", "X") and int(fields[1]) == pid:
            kids.append(other)
    return kids


def group_members(pgid: int) -> list[int]:
    """Live processes of process group ``pgid``."""
    members = []
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            members.append(pid)
    return members


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_free(ports: dict[str, int]) -> None:
    """Fail loudly if another process already listens on one of the ports we are about to bind."""
    busy = [f"{what} {port}" for what, port in ports.items() if port_open(port)]
    if busy:
        raise StackError(
            "port(s) already in use on 127.0.0.1 by another process: "
            + ", ".join(busy)
            + " (see `ss -ltnp`; set COFRE_STACK_*_PORT to move the stack)"
        )


def tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return f"(no log at {path})"
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - 64 * 1024))
        text = fh.read().decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def read_pidfile(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_pidfile(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def spawn(argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
    """Start ``argv`` detached in a new session, stdout+stderr appended to ``log``; returns its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"---- {time.strftime('%Y-%m-%dT%H:%M:%S')} start: {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
            # a background shell may start us with SIGINT/SIGTERM ignored; children must not inherit that
            preexec_fn=_reset_signals,
        )
    return proc.pid


def _reset_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def stop_group(pid: int, name: str, timeout: float, log: Path | None = None) -> None:
    """SIGTERM the process group of ``pid``, wait up to ``timeout``; then SIGKILL; fail if anything is left."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return
    alone = pgid != pid  # not a session leader we started: signal the process alone

    def targets() -> list[int]:
        if alone:
            return [pid] if alive(pid) else []
        return group_members(pgid)

    def send(sig: int) -> None:
        if alone:
            os.kill(pid, sig)
        else:
            os.killpg(pgid, sig)

    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        if not targets():
            return
        try:
            send(sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not targets():
                return
            time.sleep(0.1)
        if sig == signal.SIGTERM:
            print(f"  {name}: still running {timeout:.0f} s after SIGTERM, sending SIGKILL")
    left = targets()
    if left:
        raise StackError(f"{name}: processes {left} survived SIGKILL", log)


def wait_ready(
    name: str,
    check: Callable[[], object],
    timeout: float,
    log: Path | None,
    is_alive: Callable[[], bool] | None = None,
) -> None:
    """Call ``check`` until it returns without raising; fail after ``timeout`` or if the server died."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            check()
            return
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
            last = exc
        if is_alive is not None and not is_alive():
            raise StackError(f"{name} exited during start-up (last readiness error: {last})", log)
        if time.monotonic() >= deadline:
            raise StackError(f"{name} not ready after {timeout:g} s (last readiness error: {last})", log)
        time.sleep(0.2)
