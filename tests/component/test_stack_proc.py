"""Process plumbing of deploy/stackctl with real processes: detached spawn, group stop, readiness failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from stackctl import proc
from stackctl.ferretdb import FerretDB, find_go

REPO = Path(__file__).resolve().parents[2]


def test_stop_group_kills_the_whole_tree(tmp_path):
    log = tmp_path / "logs" / "tree.log"
    started = tmp_path / "started"
    os.mkfifo(started)
    # a shell that ignores SIGTERM, with two grandchildren: only the group SIGKILL fallback ends it;
    # it says "started" through a FIFO once both are forked, and reading the FIFO waits for that
    script = f"trap '' TERM; sleep 300 & sleep 300 & echo started > {started}; wait"
    pid = proc.spawn(["sh", "-c", script], log)
    assert started.read_text() == "started\n"
    members = proc.group_members(pid)
    assert pid in members and len(members) == 3
    proc.stop_group(pid, "tree", timeout=0.5)
    assert proc.group_members(pid) == []
    assert not any(proc.alive(p) for p in members)
    assert "start: sh -c" in log.read_text()


def test_wait_ready_fails_loudly_when_the_server_dies(tmp_path):
    log = tmp_path / "dies.log"
    pid = proc.spawn(["sh", "-c", "echo boom-before-exit; exit 3"], log)

    def never_ready():
        raise ConnectionRefusedError("nobody listens")

    with pytest.raises(proc.StackError, match="exited during start-up") as info:
        proc.wait_ready("dies", never_ready, timeout=30, log=log, is_alive=lambda: proc.alive(pid))
    assert info.value.log == log
    assert "boom-before-exit" in proc.tail(log)


def test_wait_ready_times_out(tmp_path):
    with pytest.raises(proc.StackError, match=r"not ready after 0\.3 s .*nobody listens"):
        proc.wait_ready("slow", lambda: (_ for _ in ()).throw(OSError("nobody listens")), 0.3, None)


def test_pidfile_roundtrip_and_garbage(tmp_path):
    pf = tmp_path / "run" / "x.pid"
    assert proc.read_pidfile(pf) is None
    proc.write_pidfile(pf, {"pid": 123, "port": 1})
    assert proc.read_pidfile(pf) == {"pid": 123, "port": 1}
    pf.write_text("not json")
    assert proc.read_pidfile(pf) is None


def test_ferretdb_build_hash_follows_sources(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO / "deploy" / "ferretdb", src)
    fdb = FerretDB(tmp_path / "home", tmp_path / "home" / "stack", 1, src)
    go = find_go()
    first = fdb.source_hash(go)
    assert fdb.source_hash(go) == first
    (src / "main.go").write_text((src / "main.go").read_text() + "\n// changed\n")
    assert fdb.source_hash(go) != first
